// The guard stays the owner of SIGSEGV/SIGBUS against handlers installed after it, at the moments lib/memory/guard.ts
// lists, and keeps the displacer in the chain. Each scenario runs without memprobe and with it (guarded faults
// in between); both must end alike. The one window left open is pinned too.
import { binding } from '../lib/common/native';
import {
  addressOf,
  isReadable,
  probe,
  probeMany,
  readCString,
  readU32,
  readUtf16,
  readUtf8,
  safeMemcpy,
  safeRead,
  scanReadable,
  writeU32,
} from '../lib';
import { ending, notes, runWithAndWithout, type Runs } from './helpers/foreign';

const BINDING = `require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding`;

function expectSameEnd(runs: Runs): void {
  expect(ending(runs.with)).toEqual(ending(runs.without));
}

const REPORT_AND_DIE = { status: null, signal: 'SIGSEGV', stdout: 'guarded faults passed\n', stderr: 'reporter: report\n' };
const TAKEN_BACK = { installed: true, previous: { SIGSEGV: expect.stringMatching(/^handler 0x[0-9a-f]+$/), SIGBUS: 'default' }, reasserted: 1 };

// Two setImmediate hops always pass a prepare phase (one check phase, then the next iteration's), wherever the
// caller runs: the start of a new event-loop turn.
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('a handler that does not chain, installed after memprobe', () => {
  test('while its addon loads: taken back at once (process.dlopen)', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      const addon = require(ADDON_PATH);
      guardedFaults();
      console.log('guarded faults passed');
      note(memprobe && memprobe.guardStatus());
      addon.load(8n);`, { loadAddon: false, env: { ...process.env, FOREIGN_HANDLER_AT_LOAD: 'reporter' } });
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual([TAKEN_BACK]);
  });

  test('by a call, then a guarded fault in the same synchronous stretch: the turn\'s first guarded call takes the guard back', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installReporter();
      guardedFaults();
      console.log('guarded faults passed');
      note(memprobe && memprobe.guardStatus());
      addon.load(8n);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual([TAKEN_BACK]);
  });

  test('by a call in a later turn, after guarded calls in earlier ones: taken back by that turn\'s first guarded call', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      guardedFaults();
      setImmediate(() => {   // the main script runs before the loop starts: its first prepare phase comes before this
        addon.installReporter();
        guardedFaults();
        console.log('guarded faults passed');
        note(memprobe && memprobe.guardStatus());
        addon.load(8n);
      });`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual([TAKEN_BACK]);
  });

  test('by a call inside a worker, then a guarded fault there in the same stretch: taken back by the worker\'s check', () => {
    // The worker runs the prelude's own loadMemprobe and guardedFaults; its environment has its own turns.
    const runs = runWithAndWithout(`
      loadMemprobe();
      const { Worker } = require('node:worker_threads');
      const source = [
        'const WITH_MEMPROBE = ' + WITH_MEMPROBE + ';',
        'let memprobe = null;',
        String(loadMemprobe),
        String(guardedFaults),
        'const addon = require(' + JSON.stringify(ADDON_PATH) + ');',
        'loadMemprobe();',
        'guardedFaults();',
        // A worker's script runs in a poll phase, so one setImmediate would stay in its turn: two start a new one.
        'setImmediate(() => setImmediate(() => {',
        '  addon.installReporter();',
        '  guardedFaults();',
        '  require("node:worker_threads").parentPort.postMessage(memprobe && memprobe.guardStatus());',
        '}));',
      ].join('\\n');
      const worker = new Worker(source, { eval: true });
      worker.once('message', (status) => {
        console.log('guarded faults passed');
        note(status);
        addon.load(8n);
      });`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual([TAKEN_BACK]);
  });

  test('by a call: taken back before an asynchronous copy', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installReporter();
      (memprobe ? memprobe.safeReadAsync(0n, 8) : Promise.resolve(null)).then((result) => {
        note(result && result.fault.code);
        guardedFaults();
        console.log('guarded faults passed');
        addon.load(8n);
      });`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual(['SEGV_MAPERR']);
  });

  test('by a call after a guarded call of the same turn, then a guarded fault in that turn: the documented window (the handler gets the fault)', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      if (memprobe) memprobe.safeRead(memprobe.addressOf(Buffer.alloc(8)), 8);
      addon.installReporter();
      if (memprobe) memprobe.safeRead(0n, 8);
      console.log('survived');`);
    expect(runs.with).toMatchObject({ ...REPORT_AND_DIE, stdout: '' });
    expect(runs.without).toMatchObject({ status: 0, stdout: 'survived\n' });
  });
});

describe('the ownership check runs once per event-loop turn that makes guarded calls', () => {
  const data = Buffer.alloc(64, 0x41);
  data[63] = 0;
  const address = addressOf(data);
  const checks = (): number => binding._ownershipChecks();
  // The tests use only its address, which does not keep it alive: without this reference it could be collected
  // before they run, and writeU32 below would write into freed memory of the C heap.
  afterAll(() => expect(data.readUInt32LE(0)).toBe(0x41414141));

  test('many guarded calls in one turn: one check; a turn without guarded calls: none', async () => {
    await nextTurn();
    const before = checks();
    for (let i = 0; i < 1000; i++) safeRead(address, 8);
    expect(checks() - before).toBe(1);
    await nextTurn();
    await nextTurn();
    expect(checks() - before).toBe(1);
    safeRead(address, 8);
    safeRead(address, 8);
    expect(checks() - before).toBe(2);
  });

  test.each([
    ['safeMemcpy (signal)', () => safeMemcpy(Buffer.alloc(8), address, 8)],
    ['safeRead', () => safeRead(address, 8)],
    ['readU32', () => readU32(address)],
    ['writeU32', () => writeU32(address, 0x41414141)],
    ['readCString', () => readCString(address)],
    ['readUtf8', () => readUtf8(address, 8)],
    ['readUtf16', () => readUtf16(address, { maxLength: 4 })],
    ['probe', () => probe(address)],
    ['probeMany', () => probeMany(new BigUint64Array([address]))],
    ['isReadable', () => isReadable(address, 8)],
    ['scanReadable', () => scanReadable({ start: address, end: address + 64n })],
    // The public scanMemory lists its ranges with scanReadable first, which checks on its own: the binding alone.
    ['the pattern search', () => binding.scanMemory(address, address + 64n, new Uint8Array([0x41]), new Uint8Array([0xff]), 0, 1)],
  ])('%s checks at the first call of a turn', async (_name, call) => {
    await nextTurn();
    const before = checks();
    call();
    expect(checks() - before).toBe(1);
  });

  test('the syscall strategy and another process\'s memory touch nothing guarded: no check', async () => {
    await nextTurn();
    const before = checks();
    safeRead(address, 8, { strategy: 'syscall' });
    safeRead(address, 8, { pid: process.pid });
    probeMany(new BigUint64Array([address]), { pid: process.pid });
    expect(checks() - before).toBe(0);
  });
});

describe('a handler that chains to what it replaced, installed after memprobe', () => {
  test('before the guard takes it back: guarded faults reach the guard through it; a real crash ends as without memprobe', () => {
    // The guard checks at the first guarded call of each turn: here it is taken back at once, so install it
    // after a guarded call of the same turn to see a chaining handler in front of the guard.
    const runs = runWithAndWithout(`
      loadMemprobe();
      if (memprobe) memprobe.safeRead(memprobe.addressOf(Buffer.alloc(8)), 8);
      addon.installChaining();
      guardedFaults();
      console.log('guarded faults passed');
      addon.load(8n);`);
    expect(runs.with.stderr).toBe('chaining handler: passing on\n'.repeat(4));   // three guarded faults, one crash
    expect({ ...ending(runs.with), stderr: '' }).toEqual({ ...ending(runs.without), stderr: '' });
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: 'guarded faults passed\n', stderr: 'chaining handler: passing on\n' });
  });

  test('after the guard took it back: it runs once for a real crash, hands the fault back, and the chain goes on below it', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installChaining();
      if (memprobe) ${BINDING}.reassertGuard();
      note(memprobe && memprobe.guardStatus().reasserted);
      guardedFaults();
      console.log('guarded faults passed');
      addon.load(8n);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: 'guarded faults passed\n', stderr: 'chaining handler: passing on\n' });
    expect(notes(runs.with)).toEqual([1]);
  });
});
