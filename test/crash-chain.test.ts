// Faults that are not ours go to whoever had them before: WebAssembly bounds checks still throw, a real crash
// still ends the process by its signal, and nothing hangs. Each case runs in a child process.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { faultSignalsToDefaultMissing, testNeeding } from './helpers/capabilities';
import { childTimeout, runChild, spawnNodeSync } from './helpers/child';
import { ending, runWithAndWithout } from './helpers/foreign';
import { foreignHandlersAddon } from './helpers/native-build';
import { WASM_LOAD, WASM_OUT_OF_BOUNDS, WASM_TRAP } from './helpers/wasm';

// Loads out of bounds twice around a guarded fault, and prints what each threw.
const WASM_PROBE = `
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(${WASM_LOAD}));
  const outcomes = [];
  const attempt = () => { try { exports.load(1 << 20); outcomes.push('no error'); } catch (e) { outcomes.push(e.constructor.name + ': ' + e.message); } };
  attempt();
  outcomes.push(memprobe.safeRead(0n, 8).fault.code);
  attempt();
  outcomes.push(String(exports.load(8)));`;
const WASM_EXPECTED = [WASM_TRAP, 'SEGV_MAPERR', WASM_TRAP, '0'];
const BINDING = `require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding`;

const UNGUARDED = `require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding._touchUnguarded`;

describe('crash chain', () => {
  test('a WebAssembly out-of-bounds access still throws RuntimeError on the main thread', () => {
    const child = runChild(`${WASM_PROBE}\nconsole.log(JSON.stringify(outcomes));`);
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual(WASM_EXPECTED);
  });

  test('a WebAssembly out-of-bounds access still throws RuntimeError in a worker', () => {
    const child = runChild(`
      const { Worker } = require('node:worker_threads');
      const code = 'const memprobe = require(' + JSON.stringify(require.resolve(${JSON.stringify(require.resolve('../dist/index'))})) + ');'
        + ${JSON.stringify(WASM_PROBE)} + '; require("node:worker_threads").parentPort.postMessage(outcomes);';
      const worker = new Worker(code, { eval: true });
      worker.on('message', (outcomes) => console.log(JSON.stringify(outcomes)));
      worker.on('error', (e) => { console.error(e); process.exitCode = 3; });`);
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual(WASM_EXPECTED);
  });

  test('guardStatus names what faults that are not ours go to', () => {
    const child = runChild(`console.log(JSON.stringify(memprobe.guardStatus()));`);
    expect(JSON.parse(child.stdout)).toEqual({ installed: true, previous: { SIGSEGV: 'node-wasm-trap', SIGBUS: 'default' }, reasserted: 0 });
  });

  test('a SIGSEGV that is not ours still ends the process by SIGSEGV', () => {
    const child = runChild(`
      console.log(memprobe.safeRead(0n, 8).fault.code);
      ${UNGUARDED}(0x10n);
      console.log('survived');`);
    expect(child.signal).toBe('SIGSEGV');
    expect(child.stdout).toBe('SEGV_MAPERR\n');
  });

  testNeeding(faultSignalsToDefaultMissing())('a SIGBUS that is not ours (a truncated file) still ends the process by SIGBUS', () => {
    const child = runChild(`
      const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-')), 'data');
      fs.writeFileSync(file, Buffer.alloc(3 * memprobe.pageSize, 1));
      const mapping = memprobe.mapFile(file, 3 * memprobe.pageSize, { shared: true });
      fs.truncateSync(file, 0);
      console.log(memprobe.safeRead(mapping.address, 8).fault.code);
      fs.rmSync(path.dirname(file), { recursive: true });
      ${UNGUARDED}(mapping.address);
      console.log('survived');`);
    expect(child.signal).toBe('SIGBUS');
    expect(child.stdout).toBe('BUS_ADRERR\n');
  });

  test('SIGSEGV sent with kill() is not a fault: the default action still ends the process', () => {
    const child = runChild(`
      console.log(memprobe.safeRead(0n, 8).fault.code);
      process.kill(process.pid, 'SIGSEGV');
      setTimeout(() => console.log('survived'), 1000);`);
    expect(child.signal).toBe('SIGSEGV');
    expect(child.stdout).toBe('SEGV_MAPERR\n');
  });

  test("process.on('SIGSEGV') added and removed: the guard stays on top and keeps returning faults", () => {
    const child = runChild(`
      const listener = () => {};
      process.on('SIGSEGV', listener);
      const during = memprobe.safeRead(0n, 8).fault.code;
      const statusDuring = memprobe.guardStatus();
      process.off('SIGSEGV', listener);
      const after = memprobe.safeRead(0n, 8).fault.code;
      console.log(JSON.stringify({ during, after, statusDuring, statusAfter: memprobe.guardStatus() }));`);
    expect(child.stderr).toBe('');
    const report = JSON.parse(child.stdout);
    expect(report.during).toBe('SEGV_MAPERR');
    expect(report.after).toBe('SEGV_MAPERR');
    expect(report.statusDuring.installed).toBe(true);
    expect(report.statusDuring.previous.SIGSEGV).toMatch(/^handler /);  // libuv's, behind process.on
    expect(report.statusAfter).toEqual({ installed: true, previous: { SIGSEGV: 'default', SIGBUS: 'default' }, reasserted: 2 });
  });

  test.each([
    ['a page fault', '0x10n'],
    ['a general-protection fault (a non-canonical address)', '0x8000000000000000n'],
  ])("a real crash with a process.on('SIGSEGV') listener ends the process instead of spinning: %s", (_name, address) => {
    const child = runChild(`
      process.on('SIGSEGV', () => {});
      ${UNGUARDED}(${address});
      console.log('survived');`, { timeoutMs: 20_000 });
    expect(child.signal).toBe('SIGSEGV');
    expect(child.stdout).toBe('');
  });

  test("a jump into memory that is not executable, with a process.on('SIGSEGV') listener, ends the process instead of spinning", () => {
    // No probe can execute: the maps say the page is still not executable after libuv's handler returned.
    const child = runChild(`
      process.on('SIGSEGV', () => {});
      require(${JSON.stringify(foreignHandlersAddon())}).protectAndExecute(1);
      console.log('survived');`, { timeoutMs: 20_000 });
    expect(child.signal).toBe('SIGSEGV');
    expect(child.stdout).toBe('');
  });

  test('WebAssembly keeps working after the SIGSEGV handler changed hands', () => {
    const child = runChild(`
      const listener = () => {};
      process.on('SIGSEGV', listener);
      process.off('SIGSEGV', listener);
      ${WASM_PROBE}
      console.log(JSON.stringify(outcomes));`);
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual(WASM_EXPECTED);
  });

  test.each([
    ["V8's trap handler called directly", ''],
    ["V8's trap handler symbol missing: Node's handler kept in the chain", `${BINDING}._useV8TrapHandler(false);`],
  ])("process.on('SIGSEGV'), then a WebAssembly out-of-bounds access throws (%s)", (_name, setup) => {
    const child = runChild(`
      ${setup}
      ${WASM_OUT_OF_BOUNDS}
      process.on('SIGSEGV', () => {});
      const first = wasmOutOfBounds();
      process.removeAllListeners('SIGSEGV');
      console.log(JSON.stringify([first, memprobe.safeRead(0n, 8).fault.code, wasmOutOfBounds(), memprobe.guardStatus().previous.SIGSEGV]));`);
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([WASM_TRAP, 'SEGV_MAPERR', WASM_TRAP, 'default']);
  });

  test("without memprobe, the same process.on('SIGSEGV') makes the WebAssembly access spin forever (what the chain improves on)", () => {
    const child = spawnNodeSync(['-e', `
      ${WASM_OUT_OF_BOUNDS}
      process.on('SIGSEGV', () => {});
      console.log(wasmOutOfBounds());`], { encoding: 'utf8', timeout: childTimeout(3000) });
    expect({ error: (child.error as NodeJS.ErrnoException).code, signal: child.signal, stdout: child.stdout }).toEqual({ error: 'ETIMEDOUT', signal: 'SIGTERM', stdout: '' });
  });

  test('--disable-wasm-trap-handler: nothing before the guard, bounds checks throw, a real crash ends by SIGSEGV', () => {
    const runs = runWithAndWithout(`
      ${WASM_OUT_OF_BOUNDS}
      loadMemprobe();
      note(memprobe && memprobe.guardStatus().previous.SIGSEGV);
      console.log(wasmOutOfBounds());
      guardedFaults();
      console.log(wasmOutOfBounds());
      addon.load(8n);`, { nodeArgs: ['--disable-wasm-trap-handler'] });
    expect(ending(runs.with)).toEqual(ending(runs.without));
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: `${WASM_TRAP}\n${WASM_TRAP}\n` });
    expect(runs.with.stdout).toContain('memprobe: "default"');
  });

  test('node --cpu-prof: 100,000 guarded faults and 100,000 fixed foreign faults under the profiler', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-prof-'));
    try {
      const runs = runWithAndWithout(`
        addon.installFixing();
        loadMemprobe();
        let values = 0;
        for (let i = 0; i < 100_000; i++) {
          if (memprobe && memprobe.safeRead(0n, 8).fault.code === 'SEGV_MAPERR') values++;
        }
        note(values);
        addon.protectAndStore(100_000);
        console.log('fixed', addon.fixed());`, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${directory}`], timeoutMs: 120_000 });
      expect(ending(runs.with)).toEqual(ending(runs.without));
      expect(runs.without).toMatchObject({ status: 0, signal: null, stdout: 'fixed 100000\n', stderr: '' });
      expect(runs.with.stdout).toContain('memprobe: 100000');
      const profiles = fs.readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
      expect(profiles).toHaveLength(2);
      for (const name of profiles) expect(JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8')).samples.length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
