// waitForSignal: one signal awaited with its siginfo, a timeout, an AbortSignal; the process kept alive while it
// waits; the signal released after, with its disposition from before; nothing lost by a loop that waits again.
// Everything that watches or sends a signal runs in a child process.
import { type SignalName, waitForSignal, watchSignals } from '../lib';
import { binding } from '../lib/common/native';
import { PACKAGE_ROOT, runChild } from './helpers/child';

function expectClean(result: ReturnType<typeof runChild>): void {
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
}

test('a real-time signal with a value, sigqueued by another process, while nothing else keeps the process alive', () => {
  // The sender is detached and unref'd: only the wait keeps the child's event loop alive until the signal comes.
  const result = runChild(`
const sender = require('node:child_process').spawn(process.execPath, ['-e', \`
  const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
  setTimeout(() => memprobe.sendSignal(\${process.pid}, 'SIGRTMIN+2', { value: -77 }), 300);\`], { detached: true, stdio: 'ignore' });
sender.unref();
memprobe.waitForSignal(['SIGRTMIN+2', 'SIGUSR2']).then((info) => console.log(JSON.stringify({ info: { ...info, valuePointer: String(info.valuePointer) }, senderPid: sender.pid, uid: process.getuid() })));`);
  expectClean(result);
  const { info, senderPid, uid } = JSON.parse(result.stdout);
  expect(info).toEqual({ signal: 'SIGRTMIN+2', signo: binding.signalConstants.rtmin + 2, code: 'SI_QUEUE', pid: senderPid, uid, value: -77, valuePointer: String(2 ** 32 - 77) });
});

test('a timeout resolves with null; then the signal has its disposition from before (the default: it ends the process)', () => {
  const script = (wait: boolean) => `
(async () => {
  ${wait ? "console.log(JSON.stringify(await memprobe.waitForSignal(['SIGUSR2'], { timeout: 50 })));" : ''}
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  process.kill(process.pid, 'SIGUSR2');
  setTimeout(() => console.log('survived'), 500);
})();`;
  const waited = runChild(script(true));
  const never = runChild(script(false));
  expect({ status: waited.status, signal: waited.signal, stdout: waited.stdout }).toEqual({ status: null, signal: 'SIGUSR2', stdout: 'null\n' });
  expect({ status: never.status, signal: never.signal }).toEqual({ status: null, signal: 'SIGUSR2' });
});

test('a process.on listener from before gets the signal again once the wait is over', () => {
  const result = runChild(`
const heard = [];
process.on('SIGHUP', () => heard.push('listener'));
(async () => {
  const waiting = memprobe.waitForSignal(['SIGHUP']);
  setTimeout(() => process.kill(process.pid, 'SIGHUP'), 20);
  heard.push((await waiting).code);
  await new Promise((resolve) => setTimeout(resolve, 20));
  process.kill(process.pid, 'SIGHUP');
  await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(JSON.stringify(heard));
  process.exit(0);
})();`);
  expectClean(result);
  expect(JSON.parse(result.stdout)).toEqual(['SI_USER', 'listener']);
});

test('an abort rejects as Node\'s timers/promises reject, and releases the signal at once', () => {
  const result = runChild(`
const { setTimeout: sleep } = require('node:timers/promises');
const describe = (error) => ({ name: error.name, code: error.code, message: error.message, cause: error.cause, isError: error instanceof Error });
(async () => {
  const controller = new AbortController();
  const outcomes = Promise.allSettled([memprobe.waitForSignal(['SIGUSR2'], { signal: controller.signal }), sleep(1e6, null, { signal: controller.signal })]);
  controller.abort('enough');
  const [ours, node] = (await outcomes).map((outcome) => describe(outcome.reason));
  // Released: no handler of memprobe's for it any more (the disposition is the default again).
  const caught = memprobe.threadSignalMasks().some((thread) => thread.caught.includes('SIGUSR2'));
  const already = await memprobe.waitForSignal(['SIGUSR2'], { signal: AbortSignal.abort('before') }).catch(describe);
  console.log(JSON.stringify({ ours, node, caught, already }));
})();`);
  expectClean(result);
  const { ours, node, caught, already } = JSON.parse(result.stdout);
  expect(ours).toEqual(node);
  expect(ours).toEqual({ name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted', cause: 'enough', isError: true });
  expect(caught).toBe(false);
  expect(already).toEqual({ ...node, cause: 'before' });
});

test('a loop that waits again loses nothing: a burst sent at once, and signals sent between two waits', () => {
  const result = runChild(`
const { spawnSync } = require('node:child_process');
const send = (from, to) => spawnSync(process.execPath, ['-e', \`
  const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
  for (let v = \${from}; v < \${to}; v++) memprobe.sendSignal(\${process.pid}, 'SIGRTMIN+3', { value: v });\`], { stdio: 'inherit' });
(async () => {
  const values = [];
  const first = memprobe.waitForSignal(['SIGRTMIN+3']);
  send(0, 5);  // five at once: the first resolves the wait, the rest wait for the next calls
  values.push((await first).value);
  for (let i = 1; i < 12; i++) {
    if (i === 3) send(5, 12);  // while no wait is pending, between two of them
    values.push((await memprobe.waitForSignal(['SIGRTMIN+3'], { timeout: 2000 })).value);
  }
  console.log(JSON.stringify(values));
})();`);
  expectClean(result);
  expect(JSON.parse(result.stdout)).toEqual(Array.from({ length: 12 }, (_, i) => i));
});

test('a zero timeout is a poll: a signal sent before the wait wins over null, 200 times out of 200', () => {
  // Each signal is pending for the process (every thread blocks it) or already taken by the dedicated thread when
  // the wait starts; the 0 ms timer fires before the poll phase that would hand it over. Once with another watcher
  // holding the signal, once with only the watch a settled wait keeps to the end of its turn.
  const result = runChild(`
(async () => {
  const poll = async (count) => {
    const values = [];
    for (let i = 0; i < count; i++) {
      memprobe.sendSignal(process.pid, 'SIGRTMIN+1', { value: i });
      const info = await memprobe.waitForSignal(['SIGRTMIN+1'], { timeout: 0 });
      values.push(info === null ? null : info.value);
    }
    return values;
  };
  const holder = memprobe.watchSignals(['SIGRTMIN+1'], () => {});
  const held = await poll(200);
  holder.close();
  const first = memprobe.waitForSignal(['SIGRTMIN+1']);
  memprobe.sendSignal(process.pid, 'SIGRTMIN+1', { value: -1 });
  await first;
  const lingering = await poll(200);
  console.log(JSON.stringify({ held, lingering }));
})();`);
  expectClean(result);
  const expected = Array.from({ length: 200 }, (_, i) => i);
  expect(JSON.parse(result.stdout)).toEqual({ held: expected, lingering: expected });
});

test('two waits at once for the same signal both get it', () => {
  const result = runChild(`
(async () => {
  const both = Promise.all([memprobe.waitForSignal(['SIGUSR2']), memprobe.waitForSignal(['SIGUSR2', 'SIGHUP'])]);
  setTimeout(() => process.kill(process.pid, 'SIGUSR2'), 20);
  console.log(JSON.stringify((await both).map((info) => info.signal)));
})();`);
  expectClean(result);
  expect(JSON.parse(result.stdout)).toEqual(['SIGUSR2', 'SIGUSR2']);
});

describe('bad input rejects before anything is watched', () => {
  const code = (c: string) => expect.objectContaining({ code: c });

  test('the refusals of watchSignals, with the same messages', async () => {
    for (const signal of ['SIGSEGV', 'SIGKILL', 'SIGPROF', 'SIGUSR1'] as SignalName[]) {
      let refusal: unknown;
      try {
        watchSignals([signal]);
      } catch (error) {
        refusal = error;
      }
      await expect(waitForSignal([signal])).rejects.toEqual(refusal);
    }
    await expect(waitForSignal(['SIGNOPE' as never])).rejects.toThrow(code('ERR_INVALID_ARG_VALUE'));
    await expect(waitForSignal([])).rejects.toThrow(code('ERR_OUT_OF_RANGE'));
  });

  test('options', async () => {
    await expect(waitForSignal(['SIGUSR2'], null as never)).rejects.toThrow(code('ERR_INVALID_ARG_TYPE'));
    await expect(waitForSignal(['SIGUSR2'], { timeout: -1 })).rejects.toThrow('The "options.timeout" argument must be a number of milliseconds from 0 to 2147483647. Received -1');
    await expect(waitForSignal(['SIGUSR2'], { timeout: NaN })).rejects.toThrow(code('ERR_OUT_OF_RANGE'));
    await expect(waitForSignal(['SIGUSR2'], { timeout: '5' as never })).rejects.toThrow(code('ERR_INVALID_ARG_TYPE'));
    await expect(waitForSignal(['SIGUSR2'], { signal: {} as never })).rejects.toThrow(code('ERR_INVALID_ARG_TYPE'));
    await expect(waitForSignal(['SIGUSR2'], { allowInspectorSignal: 1 as never })).rejects.toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
});
