// The two paths a watched signal can take to JavaScript (lib/signals/watch.ts, setSignalDelivery): read by the
// dedicated thread and handed over through a thread-safe function ('thread'), or read by the environment's own
// event loop from a signalfd of its own ('loop'). Each case forces one path and checks, through the addon's
// counters, that that path read the signals: the contracts (all, once, in order, full siginfo, workers, fan-out)
// must hold on both. Every case runs in a child process: a mistake here kills the process.
import { procMasksMissing, testNeeding } from './helpers/capabilities';
import { runChild } from './helpers/child';
import { EXIT_IN_FLOOD, outcomesOf, queueSignals, runSender, UNTIL } from './helpers/signals';

const MODES = ['thread', 'loop'] as const;

/** Child-script code: `setDelivery(mode)` and `stats()` from the built package's internals. */
const INTERNALS = `const internals = require('node:path').join(require.resolve('memprobe'), '..');
const { setSignalDelivery } = require(internals + '/signals/watch');
const stats = () => require(internals + '/common/native').binding._signalStats();
`;

function expectClean(result: ReturnType<typeof runChild>): void {
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
}

describe.each(MODES)("delivery '%s'", (mode) => {
  test('a flood of real-time signals from another process arrives whole and in order, read by that path', () => {
    const count = 5000;
    const result = runChild(`${UNTIL}${INTERNALS}
setSignalDelivery(${JSON.stringify(mode)});
const values = [];
const watcher = memprobe.watchSignals(['SIGRTMIN+4'], (info) => values.push(info.value));
const before = stats();
${runSender(queueSignals('SIGRTMIN+4', count))}
until(() => values.length >= ${count}).then(() => setTimeout(() => {
  watcher.close();
  const after = stats();
  console.log(JSON.stringify({
    received: values.length,
    outOfOrder: values.filter((value, index) => value !== index).length,
    byThread: after.taken - before.taken,
    byLoop: after.loopRead - before.loopRead,
  }));
}, 50));`);
    expectClean(result);
    const summary = JSON.parse(result.stdout);
    expect(summary).toEqual({
      received: count,
      outOfOrder: 0,
      byThread: mode === 'thread' ? count : 0,
      byLoop: mode === 'loop' ? count : 0,
    });
  });

  test('thread-directed signals: at the dedicated thread received as SI_TKILL, at the main thread left pending, never delivered', () => {
    const result = runChild(`${UNTIL}${INTERNALS}
setSignalDelivery(${JSON.stringify(mode)});
const received = [];
const watcher = memprobe.watchSignals(['SIGHUP', 'SIGRTMIN+2'], (info) => received.push(info.signal + ' ' + info.code));
memprobe.signalThread(process.pid, 'SIGRTMIN+2');  // the main thread blocks it while watched
const pendingOnMain = () => memprobe.threadSignalMasks().find((t) => t.tid === process.pid).pending;
const pendingAtFirst = pendingOnMain();
memprobe.signalThread(watcher.threadId, 'SIGHUP');
memprobe.sendSignal(process.pid, 'SIGRTMIN+2', { value: 1 });
until(() => received.length === 2).then(() => setTimeout(() => {
  watcher.close();
  console.log(JSON.stringify({ pendingAtFirst, received: received.sort(), pendingAfter: pendingOnMain() }));
}, 50));`);
    expectClean(result);
    // The loop's read takes the main thread's own instance and discards it (as close would have); the thread's
    // leaves it pending until close discards it. Neither delivers it.
    expect(JSON.parse(result.stdout)).toEqual({ pendingAtFirst: ['SIGRTMIN+2'], received: ['SIGHUP SI_TKILL', 'SIGRTMIN+2 SI_QUEUE'], pendingAfter: [] });
  });

  test("an unref'd watcher lets the process end; a ref'd one keeps it alive until its listener closes it", () => {
    const result = runChild(`${INTERNALS}
setSignalDelivery(${JSON.stringify(mode)});
memprobe.watchSignals(['SIGUSR2'], () => console.log('unexpected'));  // unref'd: the process ends anyway
const watcher = memprobe.watchSignals(['SIGRTMIN+1'], (info) => { console.log(info.code, info.value); watcher.close(); }).ref();
setTimeout(() => memprobe.sendSignal(process.pid, 'SIGRTMIN+1', { value: 9 }), 20).unref();  // only the watcher waits`);
    expect(result).toMatchObject({ status: 0, signal: null, stdout: 'SI_QUEUE 9\n', stderr: '' });
  });

  test('process.exit() in mid-flood ends the process cleanly', () => {
    const outcomes = outcomesOf(`${INTERNALS}setSignalDelivery(${JSON.stringify(mode)});\n${EXIT_IN_FLOOD}`, 3);
    expect(outcomes).toEqual(Array.from({ length: 3 }, () => ({ status: 0, signal: null, stderr: '' })));
  });

  test('a worker watching alone, terminated in mid-flood, ends cleanly; the main thread then watches the signal', () => {
    // SIGURG, whose default action is to ignore it: the flood goes on harmlessly between the watches.
    const result = runChild(`${UNTIL}${INTERNALS}
const { Worker } = require('node:worker_threads');
const sender = require('node:child_process').spawn(process.execPath, ['-e', \`
  const target = \${process.pid};
  for (;;) { try { process.kill(target, 'SIGURG'); } catch { break; } }\`], { stdio: 'inherit' });
const runs = [];
const once = () => new Promise((resolve) => {
  const worker = new Worker(\`
    const internals = require('node:path').join(require.resolve('memprobe'), '..');
    require(internals + '/signals/watch').setSignalDelivery(\${JSON.stringify(${JSON.stringify(mode)})});
    const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
    const { parentPort } = require('node:worker_threads');
    let received = 0;
    memprobe.watchSignals(['SIGURG'], () => { if (++received === 200) parentPort.postMessage('flooded'); }).ref();\`, { eval: true });
  worker.once('message', async () => resolve(runs.push(await worker.terminate())));
});
(async () => {
  for (let i = 0; i < 3; i++) await once();
  const workersByLoop = stats().loopRead > 0;
  let received = 0;
  const watcher = memprobe.watchSignals(['SIGURG'], () => received++);
  await until(() => received >= 100);
  watcher.close();
  sender.kill('SIGKILL');
  console.log(JSON.stringify({ runs, workersByLoop, received: received >= 100 }));
})();`);
    expectClean(result);
    expect(JSON.parse(result.stdout)).toEqual({ runs: [1, 1, 1], workersByLoop: mode === 'loop', received: true });
  });

  testNeeding(procMasksMissing())('a worker and the main thread watching the same signal both get every instance, in order, and the worker\'s other signal after them', () => {
    const count = 2000;
    const result = runChild(`${UNTIL}${INTERNALS}
const { Worker } = require('node:worker_threads');
setSignalDelivery(${JSON.stringify(mode)});
const mainValues = [];
const watcher = memprobe.watchSignals(['SIGRTMIN+3'], (info) => mainValues.push(info.value));
const worker = new Worker(\`
  const internals = require('node:path').join(require.resolve('memprobe'), '..');
  require(internals + '/signals/watch').setSignalDelivery(\${JSON.stringify(${JSON.stringify(mode)})});
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  const { parentPort } = require('node:worker_threads');
  const values = [];
  const both = memprobe.watchSignals(['SIGRTMIN+3'], (info) => values.push(info.value)).ref();
  const own = memprobe.watchSignals(['SIGRTMIN+5'], (info) => {
    both.close();
    own.close();
    parentPort.postMessage({ values, code: info.code });
  }).ref();
  parentPort.postMessage('watching');\`, { eval: true });
worker.on('message', async (message) => {
  if (message === 'watching') {
    const before = stats();
    ${runSender(`${queueSignals('SIGRTMIN+3', count)}\nmemprobe.sendSignal(target, 'SIGRTMIN+5');`).replace(/\n/g, '\n    ')}
    worker.once('message', async ({ values, code }) => {
      await until(() => mainValues.length >= ${count});
      const shared = stats();
      // Now the main thread alone watches it: back to its own path.
      memprobe.sendSignal(process.pid, 'SIGRTMIN+3', { value: ${count} });
      await until(() => mainValues.length > ${count});
      const after = stats();
      watcher.close();
      await worker.terminate();
      const inOrder = (list) => list.every((value, index) => value === index);
      console.log(JSON.stringify({
        worker: values.length, workerInOrder: inOrder(values), code,
        main: mainValues.length, mainInOrder: inOrder(mainValues),
        sharedByThread: shared.taken - before.taken >= ${count}, aloneByLoop: after.loopRead - shared.loopRead,
      }));
    });
  }
});`);
    expectClean(result);
    expect(JSON.parse(result.stdout)).toEqual({
      worker: count, workerInOrder: true, code: 'SI_USER',
      main: count + 1, mainInOrder: true,
      sharedByThread: true, aloneByLoop: mode === 'loop' ? 1 : 0,
    });
  });
});

test('switching the delivery path back and forth during a flood loses nothing and keeps the order', () => {
  const count = 20000;
  const result = runChild(`${UNTIL}${INTERNALS}
const values = [];
let switches = 0;
const watcher = memprobe.watchSignals(['SIGRTMIN+4'], (info) => {
  values.push(info.value);
  if (values.length % 500 === 0) setSignalDelivery(++switches % 2 ? 'thread' : 'loop');
});
const child = require('node:child_process').spawn(process.execPath, ['-e', \`
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  \${${JSON.stringify(queueSignals('SIGRTMIN+4', count).replace(/target/g, 'Number(process.argv[1])'))}}\`, String(process.pid)], { stdio: 'inherit' });
const flip = setInterval(() => setSignalDelivery(++switches % 2 ? 'thread' : 'loop'), 1);
until(() => values.length >= ${count}).then(() => setTimeout(() => {
  clearInterval(flip);
  watcher.close();
  const s = stats();
  console.log(JSON.stringify({ received: values.length, outOfOrder: values.filter((value, index) => value !== index).length, switched: switches > 10, both: s.taken > 0 && s.loopRead > 0 }));
}, 50));`);
  expectClean(result);
  expect(JSON.parse(result.stdout)).toEqual({ received: count, outOfOrder: 0, switched: true, both: true });
});

test('setSignalDelivery refuses an unknown mode', () => {
  const result = runChild(`${INTERNALS}
try { setSignalDelivery('both'); } catch (error) { console.log(error.name, error.code); }`);
  expectClean(result);
  expect(result.stdout.trim()).toBe('RangeError ERR_OUT_OF_RANGE');
});
