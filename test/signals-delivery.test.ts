// Watched signals reach the listener with their siginfo, whoever sends them and whichever thread the kernel
// would have picked. Every case runs in a child process: a mistake here kills the process.
import * as path from 'node:path';

import { signalNumber } from '../lib';
import { procMasksMissing, testNeeding } from './helpers/capabilities';
import { runChild } from './helpers/child';
import { buildFixture } from './helpers/native-fixture';
import { queueSignals, runSender, UNTIL } from './helpers/signals';

/** For child scripts: JSON.stringify's replacer that writes a bigint (valuePointer) as its decimal digits and 'n'. */
const BIGINTS = `(key, item) => (typeof item === 'bigint' ? item + 'n' : item)`;

function expectClean(result: ReturnType<typeof runChild>): void {
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
}

test('kill() from another process arrives as SI_USER with the sender pid and uid, and the process survives', () => {
  const result = runChild(`${UNTIL}
const received = [];
const watcher = memprobe.watchSignals(['SIGUSR2'], (info) => received.push(info));
${runSender(`process.kill(target, 'SIGUSR2');`)}
until(() => received.length === 1).then(() => {
  watcher.close();
  console.log(JSON.stringify({ info: received[0], senderPid, uid: process.getuid() }, ${BIGINTS}));
});`);
  expectClean(result);
  const { info, senderPid, uid } = JSON.parse(result.stdout);
  expect(info).toEqual({ signal: 'SIGUSR2', signo: 12, code: 'SI_USER', pid: senderPid, uid, value: null, valuePointer: null });
});

test('thousands of real-time signals sigqueued by another process all arrive once, in order, with their values', () => {
  const count = 5000;
  const result = runChild(`${UNTIL}
const values = [];
const pids = new Set();
const codes = new Set();
const watcher = memprobe.watchSignals(['SIGRTMIN+4'], (info) => { values.push(info.value); pids.add(info.pid); codes.add(info.code); });
${runSender(queueSignals('SIGRTMIN+4', count))}
until(() => values.length >= ${count}).then(() => setTimeout(() => {
  watcher.close();
  const outOfOrder = values.filter((value, index) => value !== index).length;
  console.log(JSON.stringify({ received: values.length, outOfOrder, pids: [...pids], senderPid, codes: [...codes] }));
}, 50));`);
  expectClean(result);
  const summary = JSON.parse(result.stdout);
  expect(summary).toEqual({ received: count, outOfOrder: 0, pids: [summary.senderPid], senderPid: summary.senderPid, codes: ['SI_QUEUE'] });
});

test('sendSignal to itself with a value arrives as SI_QUEUE, signalThread to the sigwait thread as SI_TKILL', () => {
  const result = runChild(`${UNTIL}
const received = [];
const watcher = memprobe.watchSignals(['SIGRTMIN', 'SIGHUP'], (info) => received.push(info));
memprobe.sendSignal(process.pid, 'SIGRTMIN', { value: -123456 });
memprobe.sendSignal(process.pid, 'SIGRTMIN', { value: 2147483647 });
memprobe.signalThread(watcher.threadId, 'SIGHUP');
until(() => received.length === 3).then(() => {
  watcher.close();
  console.log(JSON.stringify({ received, pid: process.pid, uid: process.getuid() }, ${BIGINTS}));
});`);
  expectClean(result);
  const { received, pid, uid } = JSON.parse(result.stdout);
  // The tgkill may be dequeued before or after the two (the sigwait thread may already have taken them); the
  // real-time ones keep their order.
  const bySignal = (signal: string) => received.filter((info: { signal: string }) => info.signal === signal);
  expect(bySignal('SIGHUP')).toEqual([{ signal: 'SIGHUP', signo: 1, code: 'SI_TKILL', pid, uid, value: null, valuePointer: null }]);
  expect(bySignal('SIGRTMIN')).toEqual([
    // A number fills sival_int only: sival_ptr holds it in its low 32 bits, unsigned.
    { signal: 'SIGRTMIN', signo: signalNumber('SIGRTMIN'), code: 'SI_QUEUE', pid, uid, value: -123456, valuePointer: `${2 ** 32 - 123456}n` },
    { signal: 'SIGRTMIN', signo: signalNumber('SIGRTMIN'), code: 'SI_QUEUE', pid, uid, value: 2147483647, valuePointer: '2147483647n' },
  ]);
});

test('a bigint value sigqueued by another process arrives whole as valuePointer (sival_ptr), its low 32 bits as value', () => {
  const result = runChild(`${UNTIL}
const received = [];
const watcher = memprobe.watchSignals(['SIGRTMIN+5'], (info) => received.push(info));
${runSender(`memprobe.sendSignal(target, 'SIGRTMIN+5', { value: 0xfedcba98_87654321n }); memprobe.sendSignal(target, 'SIGRTMIN+5', { value: 0n });`)}
until(() => received.length === 2).then(() => {
  watcher.close();
  console.log(JSON.stringify(received.map((info) => [info.code, info.value, info.valuePointer]), ${BIGINTS}));
});`);
  expectClean(result);
  // sival_int is the low half of sival_ptr on little-endian machines (what Node runs on here).
  expect(JSON.parse(result.stdout)).toEqual([
    ['SI_QUEUE', 0x87654321 | 0, `${0xfedcba98_87654321n}n`],
    ['SI_QUEUE', 0, '0n'],
  ]);
});

testNeeding(procMasksMissing())('signals sent while the libuv threadpool was busy before the package loaded all arrive, and the pool blocks them', () => {
  const count = 3000;
  const result = runChild(`${UNTIL}
const values = [];
const poolThreads = memprobe.threadSignalMasks().length;
const watcher = memprobe.watchSignals(['SIGRTMIN+5', 'SIGTERM'], (info) => { if (info.signal === 'SIGRTMIN+5') values.push(info.value); });
const unblocking = memprobe.threadSignalMasks().filter((thread) => !thread.blocked.includes('SIGRTMIN+5') || !thread.blocked.includes('SIGTERM'));
${runSender(`${queueSignals('SIGRTMIN+5', count)}\nfor (let i = 0; i < 200; i++) process.kill(target, 'SIGTERM');`)}
until(() => values.length >= ${count}).then(() => {
  const stillBusy = globalThis.busyThreadpool.finished < globalThis.busyThreadpool.started;
  watcher.close();
  console.log(JSON.stringify({ poolThreads, unblocking, received: values.length, outOfOrder: values.filter((v, i) => v !== i).length, stillBusy }));
});`, { nodeArgs: ['--require', path.join(__dirname, 'fixtures', 'busy-threadpool.js')] });
  expectClean(result);
  const summary = JSON.parse(result.stdout);
  // main + 4 V8 workers + V8's delayed-task thread + the inspector's signal thread + 4 libuv pool threads
  expect(summary.poolThreads).toBeGreaterThanOrEqual(11);
  expect(summary).toMatchObject({ unblocking: [], received: count, outOfOrder: 0, stillBusy: true });
});

testNeeding(procMasksMissing())('a watcher in a worker_thread that is terminated while the main thread watches the same signal', () => {
  const result = runChild(`${UNTIL}
const { Worker } = require('node:worker_threads');
let mainReceived = 0;
const watcher = memprobe.watchSignals(['SIGUSR2'], () => mainReceived++);
const worker = new Worker(\`
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  const { parentPort } = require('node:worker_threads');
  memprobe.watchSignals(['SIGUSR2'], (info) => parentPort.postMessage(info.code)).ref();
  parentPort.postMessage('watching');\`, { eval: true });
const messages = [];
worker.on('message', (message) => {
  messages.push(message);
  if (message === 'watching') process.kill(process.pid, 'SIGUSR2');
});
until(() => messages.length === 2 && mainReceived === 1).then(async () => {
  await worker.terminate();
  const threadsAfterWorker = memprobe.threadSignalMasks().length;
  process.kill(process.pid, 'SIGUSR2');
  await until(() => mainReceived === 2);
  watcher.close();
  const stillBlocking = memprobe.threadSignalMasks().filter((t) => t.blocked.includes('SIGUSR2') && !t.blocked.includes('SIGHUP'));
  console.log(JSON.stringify({ messages, mainReceived, stillBlocking, threadsAfterWorker }));
});`);
  expectClean(result);
  const summary = JSON.parse(result.stdout);
  expect(summary).toMatchObject({ messages: ['watching', 'SI_USER'], mainReceived: 2, stillBlocking: [] });
});

test('for await yields the signals a watcher receives; leaving the loop closes the watcher', () => {
  const result = runChild(`
(async () => {
  const watcher = memprobe.watchSignals(['SIGRTMIN+1']).ref();
  for (let i = 0; i < 3; i++) memprobe.sendSignal(process.pid, 'SIGRTMIN+1', { value: i });
  const values = [];
  for await (const info of watcher) {
    values.push(info.value);
    if (values.length === 3) break;
  }
  const closedThread = memprobe.threadSignalMasks().some((thread) => thread.tid === watcher.threadId);
  const afterClose = await watcher[Symbol.asyncIterator]().next();
  console.log(JSON.stringify({ values, closedThread, afterClose }));
})();`);
  expectClean(result);
  expect(JSON.parse(result.stdout)).toEqual({ values: [0, 1, 2], closedThread: false, afterClose: { done: true } });
});

test('a listener that throws surfaces as an uncaught exception after the others ran', () => {
  const result = runChild(`
const seen = [];
memprobe.watchSignals(['SIGUSR2'], () => { throw new Error('listener failed'); }).ref();
memprobe.watchSignals(['SIGUSR2'], () => seen.push('second'));
process.on('exit', () => console.log(JSON.stringify(seen)));
process.kill(process.pid, 'SIGUSR2');`);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('listener failed');
  expect(JSON.parse(result.stdout)).toEqual(['second']);
});

test('a second copy of the JavaScript layer over the same addon receives what it watches (jest, require.cache)', () => {
  // Jest gives each test file fresh JavaScript modules but shares the native addon in one worker; deleting the
  // package's modules from require.cache (and not the addon's) does the same.
  const result = runChild(`
const path = require('node:path');
const dist = path.dirname(require.resolve('memprobe'));
for (const key of Object.keys(require.cache)) if (key.startsWith(dist + path.sep)) delete require.cache[key];
const second = require('memprobe');
const received = { first: [], second: [] };
const first = memprobe.watchSignals(['SIGUSR2', 'SIGRTMIN+3'], (info) => received.first.push(info.signal + ' ' + info.value));
const other = second.watchSignals(['SIGUSR2', 'SIGRTMIN+3'], (info) => received.second.push(info.signal + ' ' + info.value)).ref();
const deadline = Date.now() + 5000;
const until = (predicate) => new Promise((resolve) => { const check = () => (predicate() || Date.now() > deadline ? resolve() : setImmediate(check)); check(); });
(async () => {
  memprobe.sendSignal(process.pid, 'SIGRTMIN+3', { value: 1 });
  second.sendSignal(process.pid, 'SIGRTMIN+3', { value: 2 });
  await until(() => received.first.length === 2 && received.second.length === 2);
  other.close();  // the second copy's close leaves the first copy's watch in place
  const blockedBetween = memprobe.blockedSignals();
  memprobe.sendSignal(process.pid, 'SIGUSR2');
  await until(() => received.first.length === 3);
  first.close();
  console.log(JSON.stringify({ copies: memprobe.watchSignals !== second.watchSignals, received, blockedBetween, blockedAfter: memprobe.blockedSignals() }));
})();`);
  expectClean(result);
  expect(JSON.parse(result.stdout)).toEqual({
    copies: true,
    received: { first: ['SIGRTMIN+3 1', 'SIGRTMIN+3 2', 'SIGUSR2 null'], second: ['SIGRTMIN+3 1', 'SIGRTMIN+3 2'] },
    blockedBetween: ['SIGUSR2', 'SIGRTMIN+3'],
    blockedAfter: [],
  });
});

test('signals that take the forwarding path are not lost while fewer than the pipe holds wait to be read', () => {
  // A foreign thread that unblocks the watched signal on itself over and over takes every instance aimed at it
  // through memprobe's forwarding handler, while memprobe's thread is starved (nice 19 on the same CPU): the
  // README's exact condition for a loss is a full pipe, and this many never fill it.
  const fixture = JSON.stringify(buildFixture('foreign-signals'));
  const result = runChild(`
const { binding } = require(${JSON.stringify(require.resolve('../dist/common/native'))});
const fixture = require(${fixture});
let received = 0;
const watcher = memprobe.watchSignals(['SIGRTMIN+4'], () => received++);
const count = Math.min(10000, binding._signalStats().forwardCapacity);
const tid = fixture.startUnblocker(memprobe.signalNumber('SIGRTMIN+4'));
const starved = fixture.starve(watcher.threadId);
for (let i = 0; i < count; i++) memprobe.signalThread(tid, 'SIGRTMIN+4');  // queued on that thread until go()
fixture.go();
const deadline = Date.now() + 10000;
const check = () => {
  const stats = binding._signalStats();
  if (received + stats.dropped < count && Date.now() < deadline) return setTimeout(check, 10);
  fixture.stopUnblocker();
  watcher.close();
  console.log(JSON.stringify({ starved, count, received, forwarded: stats.forwarded, dropped: stats.dropped }));
};
check();`);
  expectClean(result);
  const { count, ...rest } = JSON.parse(result.stdout);
  expect(count).toBeGreaterThan(2000);
  expect(rest).toEqual({ starved: 0, received: count, forwarded: count, dropped: 0 });
});
