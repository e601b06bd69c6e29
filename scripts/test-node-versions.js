#!/usr/bin/env node
// Runs the whole test suite on every supported Node major: fetches each one's real binary and headers from the
// npm registry (scripts/node-binaries.js), rebuilds the addon against those headers (with -Werror, as in
// development), runs jest with that binary, and prints one line per version. Ends by rebuilding the addon for the
// Node that runs this script, so the checkout is left as it was.
// Usage: node scripts/test-node-versions.js [major...]   (default: 20 22 24 26)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { SUPPORTED_MAJORS, ensureNode } = require('./node-binaries');

const root = path.join(__dirname, '..');

/**
 * Dependencies that npm ci built from source (a binding.gyp and a build/ folder, such as segfault-handler): unlike
 * our Node-API addon they are tied to one Node ABI, so they are rebuilt for each version as well.
 */
function nativeDependencies() {
  const modules = path.join(root, 'node_modules');
  return fs
    .readdirSync(modules)
    .map((name) => path.join(modules, name))
    .filter((dir) => fs.existsSync(path.join(dir, 'binding.gyp')) && fs.existsSync(path.join(dir, 'build')));
}

/** Builds the addon (and the native dependencies) against the headers in `nodedir`; npm's own nodedir setting would win over the flag, so both are set. */
function buildAddon(node, nodedir) {
  const env = { ...process.env, npm_config_nodedir: nodedir };
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  const builds = [[root, '--memprobe-werror=true'], ...nativeDependencies().map((dir) => [dir])];
  for (const [dir, ...flags] of builds) {
    const run = spawnSync(node, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, ...flags], { cwd: dir, env, encoding: 'utf8' });
    if (run.status !== 0) return { ...run, stderr: `building ${path.relative(root, dir) || 'the addon'} failed:\n${run.stderr}` };
  }
  return { status: 0, stdout: '', stderr: '' };
}

function runSuite(node, nodedir) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-jest-')), 'report.json');
  const env = { ...process.env, npm_config_nodedir: nodedir };
  const jest = path.join(path.dirname(require.resolve('jest/package.json', { paths: [root] })), 'bin', 'jest.js');
  const run = spawnSync(node, [jest, '--ci', '--json', `--outputFile=${report}`], { cwd: root, env, encoding: 'utf8' });
  let results = null;
  try {
    results = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    // no report: jest itself failed to start; its output says why
  }
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  return { run, results };
}

function main() {
  const majors = process.argv.slice(2).map(Number);
  const lines = [];
  let failed = false;
  for (const major of majors.length > 0 ? majors : SUPPORTED_MAJORS) {
    const started = Date.now();
    const { version, dir, node } = ensureNode(major);
    const build = buildAddon(node, dir);
    if (build.status !== 0) {
      process.stderr.write(build.stdout + build.stderr);
      lines.push(`node v${version}: the build failed`);
      failed = true;
      continue;
    }
    const { run, results } = runSuite(node, dir);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    if (run.status !== 0 || results === null || !results.success) {
      process.stderr.write(run.stderr);
      failed = true;
    }
    lines.push(
      results === null
        ? `node v${version}: jest did not run (exit ${run.status})`
        : `node v${version}: ${results.numPassedTests}/${results.numTotalTests} tests passed, ` +
            `${results.numFailedTests} failed, in ${results.numTotalTestSuites} suites (${seconds} s with the build)`,
    );
    console.log(lines[lines.length - 1]);
  }
  const restore = buildAddon(process.execPath, process.env.npm_config_nodedir || path.dirname(path.dirname(process.execPath)));
  if (restore.status !== 0) {
    process.stderr.write(restore.stdout + restore.stderr);
    failed = true;
  }
  console.log(`\n${lines.join('\n')}`);
  return failed ? 1 : 0;
}

process.exitCode = main();
