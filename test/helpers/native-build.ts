// Native code the tests build themselves, for the Node that runs them (its own headers), into a cache keyed by
// that Node's version and the sources: the foreign-handler addon (test/native) and, where the installed
// segfault-handler was built for another Node, a copy of it. Never part of a user's install. Under an emulator
// (MEMPROBE_TEST_EMULATOR) node-gyp runs in the emulated Node and builds for its architecture with the compilers
// that CC and CXX name (a cross compiler).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { commandFor, PACKAGE_ROOT } from './child';

const CACHE = path.join(PACKAGE_ROOT, 'node_modules', '.cache', 'memprobe-test', `${process.version}-${process.arch}`);

/** The headers of the running Node: its installation prefix when it has include/node (/usr for the system Node). */
export function nodeHeaders(): string {
  const prefix = path.dirname(path.dirname(process.execPath));
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    throw new Error(`no Node headers next to ${process.execPath} (looked in ${prefix}/include/node)`);
  }
  return prefix;
}

function hashOf(files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

/** Builds `sourceDir` (which has a binding.gyp) with node-gyp into the cache, once; returns the folder built in. */
function buildOnce(name: string, sourceDir: string, files: string[]): string {
  const target = path.join(CACHE, `${name}-${hashOf(files.map((file) => path.join(sourceDir, file)))}`);
  if (fs.existsSync(path.join(target, 'built'))) return target;
  fs.mkdirSync(CACHE, { recursive: true });
  const work = fs.mkdtempSync(path.join(CACHE, `${name}-building-`));
  fs.cpSync(sourceDir, work, { recursive: true, filter: (source) => !source.includes(`${path.sep}build`) });
  const headers = nodeHeaders();
  const [command, args] = commandFor(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', `--nodedir=${headers}`]);
  const build = spawnSync(command, args, {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: headers },
  });
  if (build.status !== 0) throw new Error(`building ${name} for Node ${process.version} failed:\n${build.stdout}\n${build.stderr}`);
  fs.writeFileSync(path.join(work, 'built'), '');
  try {
    fs.renameSync(work, target);  // another test file may have finished the same build first: use either
  } catch {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return target;
}

/** The test-only addon of foreign SIGSEGV handlers (test/native/foreign_handlers.cc), built for this Node. */
export function foreignHandlersAddon(): string {
  const dir = buildOnce('foreign-handlers', path.join(PACKAGE_ROOT, 'test', 'native'), ['binding.gyp', 'foreign_handlers.cc']);
  return path.join(dir, 'build', 'Release', 'foreign_handlers.node');
}

const SEGFAULT_HANDLER = path.join(PACKAGE_ROOT, 'node_modules', 'segfault-handler');

function installedSegfaultHandlerLoads(): boolean {
  const probe = spawnSync(...commandFor(process.execPath, ['-e', `require(${JSON.stringify(SEGFAULT_HANDLER)})`]), { encoding: 'utf8' });
  return probe.status === 0;
}

/**
 * Node flags that make `require('segfault-handler')` load a build for this Node in a child: none where the
 * installed one was built for it (npm's Node), else a preload that points the name at a copy built here.
 */
export function segfaultHandlerFlags(): string[] {
  if (installedSegfaultHandlerLoads()) return [];
  const dir = buildOnce('segfault-handler', SEGFAULT_HANDLER, ['binding.gyp', 'src/segfault-handler.cpp', 'package.json']);
  const preload = path.join(dir, 'resolve-here.js');
  if (!fs.existsSync(preload)) {
    fs.writeFileSync(preload, `// Written by test/helpers/native-build.ts: require('segfault-handler') loads this build.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === 'segfault-handler' ? ${JSON.stringify(dir)} : request, ...rest);
};
`);
  }
  return ['--require', preload];
}
