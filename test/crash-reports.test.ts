// enableCrashReports and segfault-handler in either load order: a real crash prints exactly one report (stderr
// and the file) and ends the process by SIGSEGV, as segfault-handler alone does; guarded faults still come
// back as values and an out-of-bounds WebAssembly access still throws.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { enableCrashReports } from '../lib';
import { segfaultHandlerUnavailable } from '../lib/memory/crash-reports';
import { runChild, type ChildResult } from './helpers/child';
import { ending, notes, runWithAndWithout } from './helpers/foreign';
import { segfaultHandlerFlags } from './helpers/native-build';
import { WASM_OUT_OF_BOUNDS, WASM_TRAP } from './helpers/wasm';

const REPORT = /^PID \d+ received SIGSEGV for address: 0x8$/gm;

let directory: string;
let nodeArgs: string[];

beforeAll(() => {
  nodeArgs = segfaultHandlerFlags();
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-crash-'));
});
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

function reports(text: string): number {
  return text.match(REPORT)?.length ?? 0;
}

/** How a crashed run ended: its signal, its output, and the reports it printed and wrote. */
function crash(result: ChildResult, file: string): object {
  const written = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  fs.rmSync(file, { force: true });
  return { signal: result.signal, status: result.status, stdout: ending(result).stdout, printed: reports(result.stderr), written: reports(written) };
}

const ONE_REPORT = { signal: 'SIGSEGV', status: null, stdout: 'before the crash\n', printed: 1, written: 1 };

// Each order: how segfault-handler gets registered in the run with memprobe (without memprobe: directly).
const ORDERS: Array<[string, string]> = [
  ['registered before memprobe loads', `require('segfault-handler').registerHandler(FILE); loadMemprobe();`],
  ['registered directly after memprobe loaded', `loadMemprobe(); require('segfault-handler').registerHandler(FILE);`],
  ['registered through enableCrashReports', `if (loadMemprobe()) memprobe.enableCrashReports({ path: FILE }); else require('segfault-handler').registerHandler(FILE);`],
  ['enabled twice', `if (loadMemprobe()) { memprobe.enableCrashReports({ path: FILE }); memprobe.enableCrashReports({ path: FILE }); } else require('segfault-handler').registerHandler(FILE);`],
];

describe.each(ORDERS)('segfault-handler %s', (_order, register) => {
  test('a real crash: one report on stderr and in the file, then SIGSEGV; guarded faults and wasm traps never reach it', () => {
    const file = path.join(directory, 'report.log');
    const runs = runWithAndWithout(`
      const FILE = ${JSON.stringify(file)} + (WITH_MEMPROBE ? '.with' : '.without');
      ${WASM_OUT_OF_BOUNDS}
      ${register}
      guardedFaults();
      if (memprobe) note([memprobe.guardStatus(), wasmOutOfBounds()]);
      guardedFaults();
      console.log('before the crash');
      addon.load(8n);`, { nodeArgs });
    const without = crash(runs.without, `${file}.without`);
    const withMemprobe = crash(runs.with, `${file}.with`);
    expect(without).toEqual(ONE_REPORT);
    expect(withMemprobe).toEqual(ONE_REPORT);
    expect(notes(runs.with)).toEqual([[{ installed: true, previous: { SIGSEGV: 'segfault-handler', SIGBUS: 'default' }, reasserted: expect.any(Number) }, WASM_TRAP]]);
  });
});

describe('enableCrashReports where segfault-handler cannot be used', () => {
  test('not installed: a clear error with a code, and everything else works', () => {
    const child = runChild(`
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'segfault-handler') throw Object.assign(new Error("Cannot find module 'segfault-handler'"), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      let error;
      try { memprobe.enableCrashReports(); } catch (e) { error = e; }
      console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message, cause: error.cause.code,
        read: memprobe.safeRead(0n, 8).fault.code, status: memprobe.guardStatus() }));`);
    expect(child.stderr).toBe('');
    const report = JSON.parse(child.stdout);
    expect(report).toEqual({
      name: 'Error',
      code: 'ERR_CRASH_REPORTS_UNAVAILABLE',
      message: expect.stringMatching(/^memprobe: crash reports are unavailable: the optional dependency segfault-handler is not installed .*Install it with `npm install segfault-handler`/),
      cause: 'MODULE_NOT_FOUND',
      read: 'SEGV_MAPERR',
      status: { installed: true, previous: { SIGSEGV: 'node-wasm-trap', SIGBUS: 'default' }, reasserted: 0 },
    });
  });

  test('in a worker thread: a clear error with a code', () => {
    const child = runChild(`
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const memprobe = require(${JSON.stringify(path.join(__dirname, '..'))});
        try { memprobe.enableCrashReports(); } catch (e) { require('node:worker_threads').parentPort.postMessage([e.code, e.message]); }
      \`, { eval: true });
      worker.on('message', (m) => console.log(JSON.stringify(m)));`, { nodeArgs });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual(['ERR_CRASH_REPORTS_UNAVAILABLE', expect.stringMatching(/in a worker thread .*call enableCrashReports\(\) on the main thread/)]);
  });

  test('installed but never built: says to allow its install script and rebuild it', () => {
    // What bindings (segfault-handler's loader) throws when no build/…/segfault-handler.node exists.
    const child = runChild(`
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request.endsWith('segfault-handler.node')) throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      try { memprobe.enableCrashReports(); } catch (e) { console.log(JSON.stringify([e.code, e.message, e.cause.message.split('\\n')[0]])); }`, { nodeArgs });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([
      'ERR_CRASH_REPORTS_UNAVAILABLE',
      expect.stringMatching(/installed but its native addon was never built .*allowScripts.*npm rebuild segfault-handler/),
      'Could not locate the bindings file. Tried:',
    ]);
  });
});

/**
 * A cached Node (scripts/node-binaries.js) that the installed segfault-handler was not built for: one where loading
 * it fails with ERR_DLOPEN_FAILED (it was built by npm's Node, whichever major that is).
 */
function otherNode(): string | undefined {
  const { cacheRoot } = require('../scripts/node-binaries') as { cacheRoot(): string };
  if (!fs.existsSync(cacheRoot())) return undefined;
  const installed = path.join(__dirname, '..', 'node_modules', 'segfault-handler');
  return fs.readdirSync(cacheRoot())
    .filter((version) => fs.existsSync(path.join(cacheRoot(), version, '.complete')))
    .map((version) => path.join(cacheRoot(), version, 'bin', 'node'))
    .find((node) => runChild(`try { require(${JSON.stringify(installed)}); } catch (e) { console.log(e.code); }`,
      { execPath: node, memprobe: false }).stdout.trim() === 'ERR_DLOPEN_FAILED');
}

describe('why segfault-handler cannot be loaded, and the remedy for each cause', () => {
  const other = otherNode();
  // Needs a second Node binary; scripts/test-node-versions.js (CI) caches them. The classification of the same
  // error is tested below without it.
  (other === undefined ? test.skip : test)('built for another Node, for real: another Node loading the installed segfault-handler', () => {
    const child = runChild(`
      try { memprobe.enableCrashReports(); } catch (e) { console.log(JSON.stringify([e.code, e.message, e.cause.code])); }`, { execPath: other });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([
      'ERR_CRASH_REPORTS_UNAVAILABLE',
      expect.stringMatching(/built for another Node\.js \(NODE_MODULE_VERSION \d+; this one needs \d+\).*npm rebuild segfault-handler` with the Node that runs this program \(.*, v\d+/),
      'ERR_DLOPEN_FAILED',
    ]);
  });

  test('built for another Node: names both ABI versions and says to rebuild it with this Node', () => {
    // Exactly what Node 24 threw for a segfault-handler built by Node 20 (Node's own message, src/node_binding.cc).
    const error = Object.assign(new Error("The module '/app/node_modules/segfault-handler/build/Release/segfault-handler.node'\n" +
      'was compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\n' +
      'NODE_MODULE_VERSION 137. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).'),
    { code: 'ERR_DLOPEN_FAILED' });
    expect(segfaultHandlerUnavailable(error)).toMatch(
      new RegExp(`^the optional dependency segfault-handler was built for another Node\\.js \\(NODE_MODULE_VERSION 115; this one needs 137\\).*npm rebuild segfault-handler.*${process.version.replace(/\./g, '\\.')}`));
  });

  test('each cause gets its own message', () => {
    const notInstalled = Object.assign(new Error("Cannot find module 'segfault-handler'\nRequire stack:\n- /app/x.js"), { code: 'MODULE_NOT_FOUND' });
    const notBuilt = Object.assign(new Error('Could not locate the bindings file. Tried:\n → /app/node_modules/segfault-handler/build/segfault-handler.node'), { tries: [] });
    const otherNode = Object.assign(new Error('The module \'/x.node\'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).'), { code: 'ERR_DLOPEN_FAILED' });
    const brokenLibrary = Object.assign(new Error('/app/segfault-handler.node: undefined symbol: _ZN2v85Value'), { code: 'ERR_DLOPEN_FAILED' });
    const missingDependency = Object.assign(new Error("Cannot find module 'bindings'\nRequire stack:\n- /app/node_modules/segfault-handler/index.js"), { code: 'MODULE_NOT_FOUND' });
    const messages = [notInstalled, notBuilt, otherNode, brokenLibrary, missingDependency].map(segfaultHandlerUnavailable);
    expect(messages).toEqual([
      expect.stringMatching(/is not installed .*`npm install segfault-handler`/),
      expect.stringMatching(/never built/),
      expect.stringMatching(/built for another Node\.js \(NODE_MODULE_VERSION 127; this one needs 115\)/),
      expect.stringMatching(/could not be loaded \(\/app\/segfault-handler\.node: undefined symbol: _ZN2v85Value\)\. .*npm rebuild segfault-handler/),
      expect.stringMatching(/could not be loaded \(Cannot find module 'bindings'\)/),
    ]);
  });
});

describe('enableCrashReports arguments', () => {
  test.each([
    ['a number for options', 5, TypeError, 'ERR_INVALID_ARG_TYPE', /The "options" argument must be of type object/],
    ['a number for the path', { path: 5 }, TypeError, 'ERR_INVALID_ARG_TYPE', /The "options.path" argument must be of type string/],
    ['an empty path', { path: '' }, TypeError, 'ERR_INVALID_ARG_VALUE', /non-empty path without null bytes/],
    ['a path with a null byte', { path: 'a\0b' }, TypeError, 'ERR_INVALID_ARG_VALUE', /non-empty path without null bytes/],
    ['a path longer than 127 bytes', { path: '/tmp/' + 'x'.repeat(200) }, TypeError, 'ERR_INVALID_ARG_VALUE', /at most 127 bytes once resolved/],
  ])('%s is refused before anything is registered', (_name, options, type, code, message) => {
    const call = (): void => enableCrashReports(options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});
