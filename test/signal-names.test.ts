// Signal names and numbers, and the arguments watchSignals refuses (refusals throw before anything changes,
// so they run in the test process).
import { spawnSync } from 'node:child_process';

import * as memprobe from '../lib';
import { binding } from '../lib/common/native';
import { runChild } from './helpers/child';

test('standard names are Node\'s; real-time names follow the C library\'s SIGRTMIN/SIGRTMAX like kill -l', () => {
  expect(memprobe.signalNumber('SIGUSR2')).toBe(12);
  expect(memprobe.signalNumber('SIGIOT')).toBe(6);  // aliases are accepted…
  expect(memprobe.signalNumber('SIGCLD')).toBe(17);  // Linux's <signal.h> defines SIGCLD as SIGCHLD
  expect(memprobe.signalNumber('SIGPOLL')).toBe(29);
  expect(memprobe.signalName(6)).toBe('SIGABRT');   // …one name comes back
  expect(memprobe.signalName(29)).toBe('SIGIO');
  expect(memprobe.signalName(32)).toBe('SIG32');
  expect(memprobe.signalNumber('SIG33')).toBe(33);
  // bash's `kill -l N` names real-time signals from its C library's values the same way (glibc: 34 to 64; musl
  // starts at 35), which are what the addon reports for ours.
  const { rtmin, rtmax } = binding.signalConstants;
  const rt = Array.from({ length: rtmax - rtmin + 1 }, (_, i) => rtmin + i);
  const bash = spawnSync('bash', ['-c', `for n in ${rt.join(' ')}; do kill -l $n; done`], { encoding: 'utf8' });
  expect(bash.status).toBe(0);
  expect(rt.map((signo) => memprobe.signalName(signo))).toEqual(bash.stdout.trim().split('\n').map((name) => `SIG${name}`));
  for (const signo of rt) expect(memprobe.signalNumber(memprobe.signalName(signo))).toBe(signo);
  expect(memprobe.signalNumber('SIGRTMIN+20')).toBe(rtmin + 20);  // non-canonical spellings in range are fine
  expect(memprobe.signalNumber(`SIGRTMAX-${rtmax - rtmin}`)).toBe(rtmin);
});

test('bad names and numbers are TypeErrors and RangeErrors in the usual shape', () => {
  // A misspelled name does not compile (the type is a union of names); JavaScript callers get the errors below.
  // @ts-expect-error: not a signal name
  expect(() => memprobe.signalNumber('SIGFOO')).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
  // @ts-expect-error: SIGRTMIN counts upwards only
  expect(() => memprobe.signalNumber('SIGRTMIN-1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  const { rtmin, rtmax } = binding.signalConstants;
  expect(() => memprobe.signalNumber(`SIGRTMIN+${rtmax - rtmin + 1}`)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  expect(() => memprobe.signalNumber(12 as unknown as memprobe.SignalName)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => memprobe.signalName(0)).toThrow(expect.objectContaining({ name: 'RangeError', message: 'The "signo" argument must be a signal number from 1 to 64. Received 0' }));
  expect(() => memprobe.signalName(65)).toThrow(RangeError);
  expect(() => memprobe.signalName(1.5)).toThrow(RangeError);
});

test('watchSignals refuses what cannot or must not be watched, saying why', () => {
  const reasons: Array<[memprobe.SignalName | number, RegExp]> = [
    ['SIGKILL', /cannot be caught, blocked or ignored/],
    ['SIGSTOP', /cannot be caught, blocked or ignored/],
    ['SIGSEGV', /synchronous fault signal/],
    ['SIGBUS', /synchronous fault signal/],
    ['SIGFPE', /synchronous fault signal/],
    ['SIGILL', /synchronous fault signal/],
    ['SIGTRAP', /synchronous fault signal/],
    ['SIGSYS', /synchronous fault signal/],
    ['SIGPROF', /profiler/],
    [32, /C library reserves/],
    [33, /C library reserves/],
    ['SIGUSR1', /inspector.*allowInspectorSignal/],
    [memprobe.signalName(binding.signalConstants.maskHelper), /memprobe itself uses it/],
  ];
  for (const [signal, reason] of reasons) {
    expect(() => memprobe.watchSignals(['SIGUSR2', signal])).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(reason) }),
    );
  }
  expect(() => memprobe.watchSignals([0])).toThrow(RangeError);
  expect(() => memprobe.watchSignals([65])).toThrow(RangeError);
  expect(() => memprobe.watchSignals([])).toThrow(RangeError);
  // @ts-expect-error: not a signal name
  expect(() => memprobe.watchSignals(['SIGNOPE'])).toThrow(TypeError);
  expect(() => memprobe.watchSignals('SIGUSR2' as unknown as memprobe.SignalName[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => memprobe.watchSignals([{} as unknown as memprobe.SignalName])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"signals[0]"') }));
  expect(() => memprobe.watchSignals(['SIGUSR2'], 'listener' as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => memprobe.watchSignals(['SIGUSR1'], null, { allowInspectorSignal: 1 as unknown as boolean })).toThrow(TypeError);
  // Nothing was watched along the way.
  expect(memprobe.threadSignalMasks().some((thread) => thread.name === 'memprobe-signal')).toBe(false);
});

test('sendSignal and signalThread check their arguments and report system errors', () => {
  expect(() => memprobe.sendSignal(0, 'SIGUSR2')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => memprobe.sendSignal(process.pid, 'SIGUSR2', { value: 2 ** 31 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => memprobe.sendSignal(process.pid, 'SIGUSR2', { value: '1' as unknown as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => memprobe.sendSignal(process.pid, 'SIGUSR2', { value: -1n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => memprobe.sendSignal(process.pid, 'SIGUSR2', { value: 1n << 64n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => memprobe.sendSignal(process.pid, 65)).toThrow(RangeError);
  memprobe.sendSignal(process.pid, 0);  // the existence check kill(pid, 0) allows
  expect(() => memprobe.sendSignal(0x7ffffffe, 0)).toThrow(expect.objectContaining({ name: 'SystemError', code: 'ESRCH', syscall: 'kill', pid: 0x7ffffffe }));
  expect(() => memprobe.sendSignal(0x7ffffffe, 0, { value: 1 })).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'sigqueue' }));
  expect(() => memprobe.signalThread(0x7ffffffe, 0)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'tgkill' }));
  memprobe.signalThread(process.pid, 0);
});

test('the addon itself refuses what watchSignals refuses, and checks the mask operation', () => {
  // Straight to the native layer, as a second copy of the JavaScript (or a mistake in it) would call it. In a
  // child: if the refusal were missing, this would take SIGSEGV from the guard.
  const result = runChild(`
const { binding } = require(${JSON.stringify(require.resolve('../dist/common/native'))});
const outcome = (call) => { try { call(); return 'accepted'; } catch (error) { return error.name + ' ' + error.code + ' ' + error.message; } };
const subscriber = binding.createSignalSubscriber(() => {});
const watched = {};
for (const signo of [0, 9, 11, 7, 8, 4, 5, 31, 19, 27, 32, 33, binding.signalConstants.maskHelper, 65]) {
  watched[signo] = outcome(() => binding.watchSignals(subscriber, [signo]));
}
const masks = {};
for (const how of [3, -1, 1.5, 2 ** 32]) masks[how] = outcome(() => binding.changeSignalMask(how, 0n));
masks.blockSegv = outcome(() => binding.changeSignalMask(1, 1n << 10n));
masks.blockBus = outcome(() => binding.changeSignalMask(1, 1n << 6n));
watched.notSubscriber = outcome(() => binding.watchSignals({}, [12]));
console.log(JSON.stringify({ watched, masks, blocked: memprobe.blockedSignals(), signalThread: memprobe.threadSignalMasks().some((t) => t.name === 'memprobe-signal') }));`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  const { watched, masks, blocked, signalThread } = JSON.parse(result.stdout);
  const { notSubscriber, ...refused } = watched;
  for (const outcome of Object.values(refused)) expect(outcome).toMatch(/^RangeError ERR_OUT_OF_RANGE .*cannot be watched/);
  expect(notSubscriber).toMatch(/^TypeError ERR_INVALID_ARG_TYPE /);
  expect(watched[11]).toMatch(/synchronous fault signal/);
  expect(watched[7]).toMatch(/synchronous fault signal/);
  for (const outcome of Object.values(masks)) expect(outcome).toMatch(/^RangeError ERR_OUT_OF_RANGE /);
  expect({ blocked, signalThread }).toEqual({ blocked: [], signalThread: false });
});
