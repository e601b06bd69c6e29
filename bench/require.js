// npm run bench:require: what `require('memprobe')` costs with the prebuilt binary (the packed tarball, as users
// get it) against a locally built one (this checkout's build/Release placed in the same unpacked package, so the
// JavaScript and the paths are the same and only the addon differs), in fresh processes, alternating, in one run.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const ROUNDS = 30;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** The packed package unpacked twice: as shipped (prebuilt binary), and with a local build in build/Release. */
function unpackTarball(work) {
  execFileSync('npm', ['pack', '--pack-destination', work], { cwd: ROOT, stdio: 'ignore' });
  const tarball = fs.readdirSync(work).find((file) => file.endsWith('.tgz'));
  const unpack = (name) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    execFileSync('tar', ['xzf', path.join(work, tarball), '-C', dir, '--strip-components=1']);
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    return dir;
  };
  const prebuilt = unpack('prebuilt');
  const local = unpack('local');
  fs.rmSync(path.join(local, 'prebuilds'), { recursive: true });
  fs.mkdirSync(path.join(local, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'build', 'Release', 'memprobe.node'), path.join(local, 'build', 'Release', 'memprobe.node'));
  return { local, prebuilt };
}

/**
 * One fresh process: milliseconds to find the addon (node-gyp-build's resolve), to load it (dlopen and its
 * initialisation), and for the whole require(dir) after that (the JavaScript layer).
 */
function requireOnce(dir) {
  const script = `
    const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
    let t = process.hrtime.bigint();
    const file = require(${JSON.stringify(require.resolve('node-gyp-build'))}).resolve(${JSON.stringify(dir)});
    const resolve = ms(t);
    t = process.hrtime.bigint();
    require(file);
    const load = ms(t);
    t = process.hrtime.bigint();
    require(${JSON.stringify(dir)});
    console.log(JSON.stringify({ resolve, load, rest: ms(t), file }));`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-bench-require-'));
  try {
    const dirs = unpackTarball(work);
    const runs = { local: [], prebuilt: [] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.local.push(requireOnce(dirs.local));
      runs.prebuilt.push(requireOnce(dirs.prebuilt));
    }
    const m = (name, field) => median(runs[name].map((run) => (field === 'total' ? run.resolve + run.load + run.rest : run[field])));
    console.log(`require('memprobe') in a fresh process, medians of ${ROUNDS} alternating rounds\n`);
    console.log('| addon | file | find it | load it | JS layer | total |');
    console.log('|---|---|---|---|---|---|');
    for (const [name, label] of [['local', 'built locally'], ['prebuilt', 'prebuilt (as shipped)']]) {
      const cells = ['resolve', 'load', 'rest', 'total'].map((field) => `${m(name, field).toFixed(2)} ms`);
      console.log(`| ${label} | ${path.relative(dirs[name], runs[name][0].file)} | ${cells.join(' | ')} |`);
    }
    console.log(`\nprebuilt / local: load ${(m('prebuilt', 'load') / m('local', 'load')).toFixed(3)}x, total ${(m('prebuilt', 'total') / m('local', 'total')).toFixed(3)}x`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
