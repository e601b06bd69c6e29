// The guard stays the owner of SIGSEGV/SIGBUS against handlers installed after it, at the moments lib/memory/guard.ts
// lists, and keeps the displacer in the chain. Each scenario runs without memprobe and with it (guarded faults
// in between); both must end alike. The one window left open is pinned too.
import { ending, notes, runWithAndWithout, type Runs } from './helpers/foreign';

const BINDING = `require(${JSON.stringify(require.resolve('../dist/native'))}).binding`;

function expectSameEnd(runs: Runs): void {
  expect(ending(runs.with)).toEqual(ending(runs.without));
}

const REPORT_AND_DIE = { status: null, signal: 'SIGSEGV', stdout: 'guarded faults passed\n', stderr: 'reporter: report\n' };

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
    expect(notes(runs.with)).toEqual([
      { installed: true, previous: { SIGSEGV: expect.stringMatching(/^handler 0x[0-9a-f]+$/), SIGBUS: 'default' }, reasserted: 1 },
    ]);
  });

  test('by a call: taken back by the periodic check', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installReporter();
      setTimeout(() => {
        guardedFaults();
        console.log('guarded faults passed');
        note(memprobe && memprobe.guardStatus().installed);
        addon.load(8n);
      }, 1300);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual([true]);
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

  test('by a call: taken back before a synchronous copy of 4 MiB', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installReporter();
      if (memprobe) {
        const big = Buffer.alloc(4 << 20, 7);
        note(memprobe.safeRead(memprobe.addressOf(big), big.length).ok);
        note(memprobe.guardStatus().installed);
      }
      guardedFaults();
      console.log('guarded faults passed');
      addon.load(8n);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject(REPORT_AND_DIE);
    expect(notes(runs.with)).toEqual([true, true]);
  });

  test('by a call, then a small guarded fault before any check: the documented window (the handler gets the fault)', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installReporter();
      if (memprobe) memprobe.safeRead(0n, 8);
      console.log('survived');`);
    expect(runs.with).toMatchObject({ ...REPORT_AND_DIE, stdout: '' });
    expect(runs.without).toMatchObject({ status: 0, stdout: 'survived\n' });
  });
});

describe('a handler that chains to what it replaced, installed after memprobe', () => {
  test('before the guard takes it back: guarded faults reach the guard through it; a real crash ends as without memprobe', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
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
