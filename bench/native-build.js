// Builds the benchmarks' native helpers (bench/binding.gyp) when they are missing or older than their sources,
// and loads one. They are never part of a user's install.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BENCH = __dirname;
const RELEASE = path.join(BENCH, 'build', 'Release');

function newestSource() {
  const sources = [path.join(BENCH, 'binding.gyp'), ...fs.readdirSync(path.join(BENCH, 'native')).map((f) => path.join(BENCH, 'native', f))];
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

module.exports = { loadBenchAddon };
