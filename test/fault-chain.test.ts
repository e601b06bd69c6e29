// Faults that are not memprobe's get exactly what they would get without it. Each scenario runs twice in fresh
// processes, without memprobe and with it (plus guarded faults on every path of the guard in between), and both
// runs must end the same way: exit status or signal, and output.
import { autoDisarmAltStackMissing, faultSignalsToDefaultMissing, testNeeding } from './helpers/capabilities';
import { ending, notes, runWithAndWithout, type Runs } from './helpers/foreign';

function expectSameEnd(runs: Runs): void {
  expect(ending(runs.with)).toEqual(ending(runs.without));
}

describe('a previous handler that fixes the fault and returns', () => {
  test('is run for every fault, hundreds of times at the same instruction and address', () => {
    const runs = runWithAndWithout(`
      addon.installFixing();
      loadMemprobe();
      for (let round = 0; round < 5; round++) {
        addon.protectAndStore(100);
        guardedFaults();
      }
      console.log('fixed', addon.fixed());`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'fixed 500\n', stderr: '' });
  });

  test('installed after memprobe and taken back: still run for every fault', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installFixing({ quiet: true });
      addon.protectAndStore(100);
      guardedFaults();   // the turn's first guarded call takes the guard back, with the fixing handler behind it
      if (memprobe) require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding.reassertGuard();
      note(memprobe && memprobe.guardStatus().previous.SIGSEGV);
      addon.protectAndStore(100);
      guardedFaults();
      console.log('fixed', addon.fixed());`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'fixed 200\n', stderr: '' });
    expect(notes(runs.with)).toEqual(['handler foreign_fixing_handler']);
  });

  test('reached through a later handler that hands faults on with the signal still blocked: still fixes every fault', () => {
    const runs = runWithAndWithout(`
      addon.installFixing();
      loadMemprobe();
      addon.installChaining({ quiet: true });   // no SA_NODEFER: SIGSEGV stays blocked while it runs
      for (let round = 0; round < 3; round++) {
        addon.protectAndStore(100);
        guardedFaults();
      }
      console.log('fixed', addon.fixed());`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'fixed 300\n', stderr: '' });
  });

  test.each([
    ['its own sa_mask, and the signal blocked', { usr1InMask: true }, { segv: true, usr1: true }],
    ['SA_NODEFER: the signal not blocked', { nodefer: true }, { segv: false, usr1: false }],
  ])('runs with %s', (_name, options, expected) => {
    const runs = runWithAndWithout(`
      addon.installFixing(${JSON.stringify(options)});
      loadMemprobe();
      guardedFaults();
      addon.protectAndStore(3);
      console.log(JSON.stringify(addon.seenMask()));`);
    expectSameEnd(runs);
    expect(runs.without.status).toBe(0);
    expect(JSON.parse(runs.without.stdout)).toEqual(expected);
  });

  test('with SA_RESETHAND: runs once, then the default action ends the process', () => {
    const runs = runWithAndWithout(`
      addon.installFixing({ resethand: true });
      loadMemprobe();
      addon.protectAndStore(1);
      guardedFaults();
      console.log('fixed', addon.fixed());
      addon.protectAndStore(1);
      console.log('survived');`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: 'fixed 1\n' });
  });
});

describe('a previous handler that leaves by siglongjmp (the sigsetjmp safe-read idiom)', () => {
  // The same load instruction reads the same unmapped address from frames of different depths, the deeper ones
  // below where the chain's call to the handler was when the handler jumped out of it.
  const DEPTHS = '[0, 16, 1, 32, 0, 64, 8, 0]';

  test.each([
    ['sigsetjmp(env, 1), the signal blocked in the handler', '{}'],
    ['sigsetjmp(env, 0), SA_NODEFER', '{ nodefer: true }'],
  ])('runs for every fault, shallower and deeper on the stack (%s)', (_name, options) => {
    const runs = runWithAndWithout(`
      addon.installLongjmp(${options});
      loadMemprobe();
      let faulted = 0;
      for (let round = 0; round < 4; round++) {
        faulted += addon.safeLoadsAtDepths(16n, ${DEPTHS});
        guardedFaults();
      }
      console.log('faulted', faulted);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'faulted 32\n', stderr: '' });
  });

  test('reached through a later handler that chains to it, taken back by the guard: runs for every fault', () => {
    const runs = runWithAndWithout(`
      addon.installLongjmp();
      loadMemprobe();
      addon.installChaining({ quiet: true });
      if (memprobe) require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding.reassertGuard();
      let faulted = 0;
      for (let round = 0; round < 4; round++) {
        faulted += addon.safeLoadsAtDepths(16n, ${DEPTHS});
        guardedFaults();
      }
      console.log('faulted', faulted);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'faulted 32\n', stderr: '' });
  });

  test('installed after memprobe and taken back: runs for every fault, and real crashes still end the process', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installLongjmp();
      if (memprobe) require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding.reassertGuard();
      note(memprobe && memprobe.guardStatus().previous.SIGSEGV);
      let faulted = 0;
      for (let round = 0; round < 4; round++) {
        faulted += addon.safeLoadsAtDepths(16n, ${DEPTHS});
        guardedFaults();
      }
      console.log('faulted', faulted);
      addon.load(16n);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: 'faulted 32\n', stderr: '' });
    expect(notes(runs.with)).toEqual([expect.stringMatching(/^handler /)]);
  });
});

describe('a previous handler that fixes an instruction-fetch fault (a JIT re-protecting its code)', () => {
  test('is run for every fetch fault at the same instruction, from JavaScript and from a native loop', () => {
    const runs = runWithAndWithout(`
      addon.installExecFixing();
      loadMemprobe();
      for (let round = 0; round < 5; round++) {
        addon.protectAndExecute(1);
        guardedFaults();
      }
      addon.protectAndExecute(100);
      console.log('fixed', addon.fixed());`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'fixed 105\n', stderr: '' });
  });

  test('after fixed fetch faults, a fault it does not fix is passed on and ends the process', () => {
    const runs = runWithAndWithout(`
      addon.installExecFixing();
      loadMemprobe();
      addon.protectAndExecute(3);
      guardedFaults();
      addon.load(16n);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: '', stderr: 'exec-fixing handler: not mine, passing on\n' });
  });
});

describe('signals that claim to be faults but will not repeat (si_code > 0, sent to itself or asynchronous)', () => {
  // Linux lets a process queue a signal with any si_code to itself (rt_tgsigqueueinfo); the kernel's own
  // BUS_MCEERR_AO (memory corruption found in the background) arrives the same way, at no particular
  // instruction. Nothing repeats them: over the default action, the kernel ends the process by the signal.
  const SIGSEGV = 11, SIGBUS = 7, SEGV_MAPERR = 1, BUS_ADRERR = 2, BUS_MCEERR_AO = 5;
  const it = testNeeding(faultSignalsToDefaultMissing());

  it.each([
    ['SIGBUS BUS_MCEERR_AO', SIGBUS, BUS_MCEERR_AO, 'address', [], 'SIGBUS'],
    ['SIGBUS BUS_ADRERR at a readable address', SIGBUS, BUS_ADRERR, 'address', [], 'SIGBUS'],
    ['SIGSEGV SEGV_MAPERR at a readable address', SIGSEGV, SEGV_MAPERR, 'address', ['--disable-wasm-trap-handler'], 'SIGSEGV'],
    ['SIGSEGV SEGV_MAPERR at an unmapped address', SIGSEGV, SEGV_MAPERR, '0x20n', ['--disable-wasm-trap-handler'], 'SIGSEGV'],
    ['SIGSEGV SEGV_MAPERR at a readable address, behind Node\'s handler', SIGSEGV, SEGV_MAPERR, 'address', [], 'SIGSEGV'],
  ])('%s over the default action ends the process by that signal', (_name, signo, code, address, nodeArgs, signal) => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      guardedFaults();
      const address = addon.page;
      const sent = addon.sendToSelf(${signo}, ${code}, ${address});
      setTimeout(() => console.log('survived', sent, memprobe && memprobe.guardStatus().installed), 200);`, { nodeArgs: nodeArgs as string[] });
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal, stdout: '', stderr: '' });
  });

  it('SIGBUS BUS_MCEERR_AO over {SIG_IGN, SA_SIGINFO} is ignored, and the guard stays', () => {
    const runs = runWithAndWithout(`
      addon.installIgnoreWithSiginfo(${SIGBUS});
      loadMemprobe();
      guardedFaults();
      console.log('sent', addon.sendToSelf(${SIGBUS}, ${BUS_MCEERR_AO}, addon.page));
      guardedFaults();
      note(memprobe && memprobe.guardStatus().installed);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'sent 0\n', stderr: '' });
    expect(notes(runs.with)).toEqual([true]);
  });
});

describe('SIG_DFL and SIG_IGN, whatever the flags say', () => {
  test('{SIG_IGN, SA_SIGINFO}: a SIGSEGV sent with kill() is ignored', () => {
    const runs = runWithAndWithout(`
      addon.installIgnoreWithSiginfo();
      loadMemprobe();
      note(memprobe && memprobe.guardStatus().previous.SIGSEGV);
      process.kill(process.pid, 'SIGSEGV');
      guardedFaults();
      setTimeout(() => console.log('alive'), 200);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'alive\n', stderr: '' });
    expect(notes(runs.with)).toEqual(['ignore']);
  });

  test('{SIG_IGN, SA_SIGINFO}: a real fault still ends the process by SIGSEGV', () => {
    const runs = runWithAndWithout(`
      addon.installIgnoreWithSiginfo();
      loadMemprobe();
      guardedFaults();
      addon.load(16n);
      console.log('survived');`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: '' });
  });

  test('a sent SIGSEGV with the default action ends the process by SIGSEGV', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      guardedFaults();
      process.kill(process.pid, 'SIGSEGV');
      setTimeout(() => console.log('survived'), 1000);`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: '' });
  });
});

describe('crash reporters', () => {
  test('a reporter that itself faults dies at once, having reported once', () => {
    const runs = runWithAndWithout(`
      addon.installFaultingReporter();
      loadMemprobe();
      guardedFaults();
      addon.load(8n);
      console.log('survived');`, { timeoutMs: 20_000 });
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: '', stderr: 'faulting reporter: report\n' });
  });

  test('an SA_RESETHAND reporter that returns reports once, then the process ends by SIGSEGV', () => {
    const runs = runWithAndWithout(`
      addon.installReporter();
      loadMemprobe();
      guardedFaults();
      addon.load(8n);
      console.log('survived');`, { timeoutMs: 20_000 });
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: '', stderr: 'reporter: report\n' });
  });
});

describe('the guard never takes a fault that is not its own', () => {
  test('a handler that faults while guarded copies run on its thread still ends the process', () => {
    // A timer signal lands on this thread at any moment, nearly always inside the guard's overlap path (a
    // 16 MiB memmove that stops at the first of two PROT_NONE pages). Its handler reads the second one: inside
    // the copy's range, never touched by the copy. That fault is the handler's, never the copy's.
    const runs = runWithAndWithout(`
      loadMemprobe();
      const PAGE = addon.pageSize, PAGES = 4096;
      const start = addon.mapEndingInNone(PAGES, 2);
      addon.startFaultingTimer(start + BigInt((PAGES + 1) * PAGE), 2000);
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        if (memprobe) memprobe.safeMemcpy(start + 64n, start, (PAGES + 2) * PAGE - 64);
      }
      console.log('survived');`, { timeoutMs: 30_000 });
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: '', stderr: 'timer handler: faulting\n' });
  });
});

describe('the alternate stack', () => {
  testNeeding(autoDisarmAltStackMissing())('an SS_AUTODISARM alternate stack is armed again after guarded faults on every path', () => {
    const runs = runWithAndWithout(`
      if (addon.useAutoDisarmAltStack() !== 0) throw new Error('sigaltstack');
      const armed = addon.altStackSize();
      loadMemprobe();
      addon.raiseOnAltStack();
      guardedFaults();
      if (memprobe) {
        require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding._setGuardFastExit(false);
        guardedFaults();
      }
      console.log(armed, addon.altStackSize());`);
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: '262144 262144\n', stderr: '' });
  });
});

describe('the record of previous actions', () => {
  test('stays whole while another thread keeps replacing the handler and the guard keeps taking it back', () => {
    const runs = runWithAndWithout(`
      loadMemprobe();
      addon.installFixing({ quiet: true });   // guarded faults pass through it too: they would be told apart
      const binding = memprobe && require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding;
      addon.startDisplacer(3000);
      let stores = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        if (binding) binding.reassertGuard();
        addon.protectAndStore(1);
        stores++;
        if (binding) guardedFaults();
      }
      addon.joinDisplacer();
      console.log(addon.fixed() === stores ? 'every fault fixed' : 'fixed ' + addon.fixed() + ' of ' + stores);`, { timeoutMs: 30_000 });
    expectSameEnd(runs);
    expect(runs.without).toMatchObject({ status: 0, stdout: 'every fault fixed\n', stderr: '' });
  });
});
