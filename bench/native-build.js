// Builds the benchmarks' native helpers when they are missing or older than their sources: the addons of
// bench/binding.gyp (loaded here) and the plain C programs of bench/native/*.c (built into build/bench/, run by
// the benchmark). None is ever part of a user's install.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BENCH = __dirname;
const RELEASE = path.join(BENCH, 'build', 'Release');

function newestSource() {
  // The plain C programs (*.c) are cProgram's: a change to one rebuilds no addon.
  const addonSources = fs.readdirSync(path.join(BENCH, 'native')).filter((f) => !f.endsWith('.c'));
  const sources = [path.join(BENCH, 'binding.gyp'), ...addonSources.map((f) => path.join(BENCH, 'native', f))];
  return Math.max(...sources.map((file) => fs.statSync(file).mtimeMs));
}

function build() {
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [path.join(BENCH, '..')] });
  const nodedir = process.env.npm_config_nodedir || path.dirname(path.dirname(process.execPath));
  const run = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: BENCH,
    env: { ...process.env, npm_config_nodedir: nodedir },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`building the benchmark's native helpers failed:\n${run.stdout}${run.stderr}`);
}

/** Loads bench/build/Release/<target>.node, building first when needed. */
function loadBenchAddon(target) {
  const file = path.join(RELEASE, `${target}.node`);
  if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < newestSource()) build();
  return require(file);
}

/** The path of bench/native/<name>.c compiled (with $CC or cc, -O2 and `flags`) into build/bench/<name>. */
function cProgram(name, flags = []) {
  const source = path.join(BENCH, 'native', `${name}.c`);
  const binary = path.join(BENCH, '..', 'build', 'bench', name);
  if (!fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', ...flags, '-o', binary, source], { stdio: 'inherit' });
  }
  return binary;
}

module.exports = { cProgram, loadBenchAddon };
