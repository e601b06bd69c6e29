#!/usr/bin/env node
// npm's install step for memprobe.
// - Installed as a dependency (inside node_modules): the prebuilt binary shipped in prebuilds/ (made by
//   prebuildify when the package is packed) when one fits this machine and loads; otherwise a build from source,
//   which needs python3, make and a C++ compiler. `npm install --build-from-source` forces the build.
// - Anywhere else (a checkout of the repository): always a build from source, with -Werror, so that development
//   and CI test the code as written, never a stale or prebuilt binary; then the TypeScript is compiled to dist/.
// npm skips a dependency's install script with --ignore-scripts or where the project's "allowScripts" denies it
// (npm 11.19.1 still runs the ones it does not list, with a warning); then the prebuilt binary is found at run time
// all the same (lib/common/native.ts), and only a build from source needs the script.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');

function insideNodeModules(dir) {
  const parent = path.dirname(dir);
  return path.basename(parent) === 'node_modules' || path.basename(path.dirname(parent)) === 'node_modules';
}

/** node-gyp: the project's own in a checkout, else the one npm bundles (it exports its path to scripts). */
function nodeGypCommand() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })];
  } catch {
    if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
    return ['node-gyp'];
  }
}

function run(command, args) {
  const child = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (child.error) throw child.error;
  return child.status ?? 1;
}

function buildFromSource(extraArgs) {
  console.log('memprobe: building the addon from source');
  const [command, ...args] = nodeGypCommand();
  return run(command, [...args, 'rebuild', ...extraArgs]);
}

function developmentBuild() {
  const status = buildFromSource(['--memprobe-werror=true']);
  if (status !== 0) return status;
  return run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.build.json']);
}

/** The prebuilt binary for this machine, if one is shipped and loads in a separate process (a glibc too old fails there). */
function usablePrebuild() {
  let file;
  try {
    file = require('node-gyp-build').resolve(root);
  } catch {
    return null;
  }
  if (!file.startsWith(path.join(root, 'prebuilds') + path.sep)) return null;
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
  if (check.status === 0) return file;
  process.stderr.write(`memprobe: the prebuilt binary ${file} does not load here, building from source:\n${check.stderr}`);
  return null;
}

function main() {
  if (!insideNodeModules(root)) return developmentBuild();
  if (process.env.npm_config_build_from_source !== 'true') {
    const prebuild = usablePrebuild();
    if (prebuild !== null) {
      console.log(`memprobe: using the prebuilt binary ${path.relative(root, prebuild)}`);
      return 0;
    }
  }
  return buildFromSource([]);
}

process.exitCode = main();
