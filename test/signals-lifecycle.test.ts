// What a watcher leaves behind: the process's lifetime (unref'd by default), the dispositions and masks it
// restores, and how it lives with process.on listeners. Each case runs in a child: getting it wrong kills it.
import { signalNumber } from '../lib';
import { PACKAGE_ROOT, runChild } from './helpers/child';
import { ending, runWithAndWithout } from './helpers/foreign';
import { buildFixture } from './helpers/native-fixture';
import { EXIT_IN_FLOOD, outcomesOf, UNTIL } from './helpers/signals';

const MAIN_THREAD = `const mainThread = () => memprobe.threadSignalMasks().find((thread) => thread.tid === process.pid);\n`;

test('an unref\'d watcher lets the process exit; close() joins the sigwait thread', () => {
  const result = runChild(`
const watcher = memprobe.watchSignals(['SIGUSR2', 'SIGRTMIN+2'], () => console.log('unexpected signal'));
const alive = () => memprobe.threadSignalMasks().some((thread) => thread.tid === watcher.threadId);
const before = alive();
watcher.close();
const second = memprobe.watchSignals(['SIGHUP']);
console.log(JSON.stringify({ before, after: alive(), threadId: watcher.threadId > 0 }));`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ before: true, after: false, threadId: true });
});

test('once close() returns, the kernel no longer lists the thread, every time', () => {
  // pthread_join returns before the kernel takes an exiting thread out of /proc/<pid>/task. Before close()
  // waited for that, the thread was sometimes still listed: in bursts, from 0 to 65 closes in 3,000.
  const result = runChild(`
let lingering = 0;
for (let i = 0; i < 1000; i++) {
  const watcher = memprobe.watchSignals(['SIGRTMIN+1']);
  watcher.close();
  if (memprobe.threadSignalMasks().some((thread) => thread.tid === watcher.threadId)) lingering++;
}
console.log(lingering);`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '', stdout: '0\n' });
});

test('a ref\'d watcher keeps the process alive until its listener closes it', () => {
  const result = runChild(`
const watcher = memprobe.watchSignals(['SIGUSR2'], (info) => { console.log(info.code); watcher.close(); }).ref();
setImmediate(() => memprobe.sendSignal(process.pid, 'SIGUSR2'));`);
  expect(result).toMatchObject({ status: 0, signal: null, stdout: 'SI_USER\n' });
});

test('a for await over an unref\'d watcher keeps the process alive while it waits, as events.on does', () => {
  // The daemon loop, at the top level of a module: if nothing kept the event loop alive while the loop waits,
  // Node would end the process with exit 13 ("unsettled top-level await") before the signal came.
  const script = `import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
const memprobe = createRequire(${JSON.stringify(PACKAGE_ROOT + '/')})('.');
const watcher = memprobe.watchSignals(['SIGUSR2']);
// Another process sends once the watch is in place; its handle is unref'd, so it keeps nothing alive.
spawn('sh', ['-c', 'kill -USR2 ' + process.pid], { stdio: 'ignore' }).unref();
for await (const info of watcher) {
  console.log(info.signal, info.code);
  break;
}
console.log('done');`;
  const result = runChild(script, { memprobe: false, nodeArgs: ['--input-type=module'] });
  expect(result).toMatchObject({ status: 0, signal: null, stdout: 'SIGUSR2 SI_USER\ndone\n', stderr: '' });
});

test('a watched SIGTERM does not kill; after close() SIGTERM kills again', () => {
  const result = runChild(`${UNTIL}
let received = 0;
const watcher = memprobe.watchSignals(['SIGTERM'], () => received++);
process.kill(process.pid, 'SIGTERM');
until(() => received === 1).then(() => {
  watcher.close();
  console.log('closed');
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => console.log('survived'), 1000).ref();
});`);
  expect(result).toMatchObject({ status: null, signal: 'SIGTERM', stdout: 'closed\n' });
});

test('a process.on listener added and removed while watching leaves the signal harmless, and is not left broken', () => {
  const result = runChild(`${UNTIL}${MAIN_THREAD}
let watched = 0;
let listened = 0;
const listener = () => listened++;
const watcher = memprobe.watchSignals(['SIGUSR2'], () => watched++);
process.on('SIGUSR2', listener);
process.removeListener('SIGUSR2', listener);  // libuv resets SIGUSR2 to SIG_DFL here
const caughtAfterRemove = mainThread().caught.includes('SIGUSR2');
process.kill(process.pid, 'SIGUSR2');
memprobe.signalThread(watcher.threadId, 'SIGUSR2');
until(() => watched === 2).then(async () => {
  // A listener added while watching takes over once the watcher closes.
  process.on('SIGUSR2', listener);
  watcher.close();
  process.kill(process.pid, 'SIGUSR2');
  await until(() => listened === 1);
  process.removeListener('SIGUSR2', listener);
  console.log(JSON.stringify({ caughtAfterRemove, watched, listened, caughtAtEnd: mainThread().caught.includes('SIGUSR2') }));
  process.kill(process.pid, 'SIGUSR2');  // default action again: ends the process
  setTimeout(() => console.log('survived'), 1000).ref();
});`);
  expect(result).toMatchObject({ status: null, signal: 'SIGUSR2', stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ caughtAfterRemove: true, watched: 2, listened: 1, caughtAtEnd: false });
});

test('a thread-directed signal to a thread that blocks it stays pending there and is discarded at close', () => {
  const result = runChild(`${MAIN_THREAD}
let received = 0;
const watcher = memprobe.watchSignals(['SIGUSR2'], () => received++);
memprobe.signalThread(process.pid, 'SIGUSR2');  // the main thread blocks it while watched
const pendingWhileWatched = mainThread().pending;
setTimeout(() => {
  watcher.close();
  const after = mainThread();
  console.log(JSON.stringify({ pendingWhileWatched, received, pendingAfter: after.pending, blockedAfter: after.blocked }));
}, 100);`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ pendingWhileWatched: ['SIGUSR2'], received: 0, pendingAfter: [], blockedAfter: [] });
});

test('a pending instance on a thread that keeps the signal blocked after close is discarded, not fatal later', () => {
  const result = runChild(`${MAIN_THREAD}
memprobe.blockSignals(['SIGUSR2']);  // this thread's own choice: it stays blocked after close
const watcher = memprobe.watchSignals(['SIGUSR2']);
memprobe.signalThread(process.pid, 'SIGUSR2');
const pendingWhileWatched = mainThread().pending;
watcher.close();
const pendingAfterClose = mainThread().pending;
memprobe.unblockSignals(['SIGUSR2']);  // SIG_DFL again: a pending instance would kill the process here
console.log(JSON.stringify({ pendingWhileWatched, pendingAfterClose, blocked: memprobe.blockedSignals() }));`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ pendingWhileWatched: ['SIGUSR2'], pendingAfterClose: [], blocked: [] });
});

test('SIGUSR1 is watched only when asked for, and Node\'s inspector handler comes back at close', () => {
  const result = runChild(`${UNTIL}${MAIN_THREAD}
const handler = () => memprobe.threadSignalMasks().find((thread) => thread.tid === process.pid).caught.includes('SIGUSR1');
const before = handler();
let received = null;
const watcher = memprobe.watchSignals(['SIGUSR1'], (info) => { received = info.code; }, { allowInspectorSignal: true });
memprobe.sendSignal(process.pid, 'SIGUSR1', { value: 1 });
until(() => received !== null).then(() => {
  watcher.close();
  console.log(JSON.stringify({ before, received, after: handler() }));
});`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ before: true, received: 'SI_QUEUE', after: true });
});

test('a thread that blocks the mask helper still cannot be killed by a watched signal: the forwarding handler takes it', () => {
  const result = runChild(`${UNTIL}
const { Worker } = require('node:worker_threads');
const binding = require(require('node:path').join(require.resolve('memprobe'), '..', 'common', 'native')).binding;
const helper = memprobe.signalName(binding.signalConstants.maskHelper);
const worker = new Worker(\`
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  const { parentPort } = require('node:worker_threads');
  memprobe.blockSignals([\${JSON.stringify(helper)}]);  // the helper cannot reach this thread
  parentPort.postMessage('ready');
  setInterval(() => {}, 1000);\`, { eval: true });
const received = [];
let listened = 0;
worker.once('message', async () => {
  const workerTid = memprobe.threadSignalMasks().find((t) => t.blocked.join() === helper).tid;
  const watcher = memprobe.watchSignals(['SIGUSR2', 'SIGWINCH'], (info) => received.push(info.signal + ' ' + info.code));
  const blockedBefore = memprobe.threadSignalMasks().find((t) => t.tid === workerTid).blocked;
  // A process listener added while watching (libuv installs its handler) does not take the stray instance.
  const listener = () => listened++;
  process.on('SIGWINCH', listener);
  memprobe.signalThread(workerTid, 'SIGWINCH');
  await until(() => received.length === 1);
  // The handler wrote to the pipe before it returned: until its sigreturn the worker runs with the handler's
  // sa_mask (everything but the fault signals, SIGHUP included). Wait for the mask it returns to.
  const workerBlocked = () => memprobe.threadSignalMasks().find((t) => t.tid === workerTid).blocked;
  const deadline = Date.now() + 5000;
  while (workerBlocked().includes('SIGHUP') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  const blockedAfter = workerBlocked();
  process.removeListener('SIGWINCH', listener);
  watcher.close();
  await worker.terminate();
  console.log(JSON.stringify({ helper, received, listened, blockedBefore, blockedAfter, stats: binding._signalStats() }));
});`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  const { helper } = JSON.parse(result.stdout);
  expect(JSON.parse(result.stdout)).toEqual({
    helper,
    received: ['SIGWINCH SI_TKILL'],
    listened: 0,
    blockedBefore: [helper],
    // the handler blocked the watched set there, so the next one goes to the sigwait thread
    blockedAfter: ['SIGUSR2', 'SIGWINCH', helper].sort((a, b) => signalNumber(a) - signalNumber(b)),
    stats: expect.objectContaining({ forwarded: 1, dropped: 0 }),
  });
});

test('a signal that arrives while the last watcher closes is taken by the watch or runs the handler from before, never dropped', () => {
  // The disposition before the watch is a handler that counts; a real-time signal, so that every instance
  // counts (standard signals merge while pending). Another process sigqueues them as fast as it can while
  // this one opens and closes a watcher over and over. Without memprobe the handler runs for every instance;
  // with it, each instance is either taken by the dedicated thread (while the watch reads it), or by memprobe's
  // forwarding handler on a thread that did not block it yet, or runs the handler from before. Releasing the signal must never leave a moment in which the kernel discards an arrival.
  const fixture = JSON.stringify(buildFixture('foreign-signals'));
  const result = runChild(`
const fs = require('node:fs');
const path = require('node:path');
const binding = require(path.join(require.resolve('memprobe'), '..', 'common', 'native')).binding;
const fixture = require(${fixture});
const signo = memprobe.signalNumber('SIGRTMIN+4');
if (fixture.installCounter(signo) !== 0) throw new Error('installCounter');
const done = path.join(require('node:os').tmpdir(), 'memprobe-release-' + process.pid);
const count = 20000;
const sender = require('node:child_process').spawn(process.execPath, ['-e', \`
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  for (let i = 0; i < \${count}; i++) {
    for (;;) {
      try { memprobe.sendSignal(\${process.pid}, \${signo}, { value: i }); break; }
      catch (error) { if (error.code !== 'EAGAIN') throw error; }
    }
  }
  require('node:fs').writeFileSync(\${JSON.stringify(done)}, '');\`], { stdio: 'inherit' });
let cycles = 0;
while (!fs.existsSync(done)) {
  memprobe.watchSignals([signo]).close();
  cycles++;
}
fs.unlinkSync(done);
sender.on('exit', (code) => {
  const pending = memprobe.threadSignalMasks().some((t) => [...t.pending, ...t.sharedPending].includes('SIGRTMIN+4'));
  const { taken, forwarded, dropped } = binding._signalStats();
  console.log(JSON.stringify({ code, pending, accounted: fixture.counted() + taken + forwarded, dropped, closedWhileSending: cycles > 1 }));
});`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ code: 0, pending: false, accounted: 20000, dropped: 0, closedWhileSending: true });
});

test('process.exit() while the dedicated thread hands on a flood of signals ends the process cleanly', () => {
  // exit() runs memprobe's atexit hook while the dedicated thread may be notifying this environment; after the
  // hook returns nothing may notify any more (Node's own exit work follows). Five exits in mid-flood, on the
  // default path (signals-delivery-modes.test.ts forces each path).
  const outcomes = outcomesOf(EXIT_IN_FLOOD, 5);
  expect(outcomes).toEqual(Array.from({ length: 5 }, () => ({ status: 0, signal: null, stderr: '' })));
});

// process.execve exists in Node 22.15+ and 23.11+; scripts/test-node-versions.js runs this file on each of them.
const hasExecve = typeof (process as { execve?: unknown }).execve === 'function';
(hasExecve ? test : test.skip)(
  `process.execve from a thread that blocks the mask helper: the new program starts as it would without memprobe${hasExecve ? '' : ' (skipped: this Node has no process.execve)'}`,
  () => {
    // The main thread blocks SIGSTKFLT (the mask helper) as native code may. With a watch open, the audit leaves
    // a helper pending there; pending signals and the mask survive execve, the handler does not. The new program
    // reports its own pending and blocked sets (grep reads them from /proc/self/status and changes nothing), and
    // a new Node (which unblocks everything at start-up) must live to print.
    const fixture = JSON.stringify(buildFixture('foreign-signals'));
    const script = (target: 'grep' | 'node') => `
const fixture = require(${fixture});
if (fixture.blockSignal(16) !== 0) throw new Error('blockSignal');
const exec = () => ${target === 'grep'
      ? "process.execve('/bin/grep', ['grep', '-E', '^(SigPnd|ShdPnd|SigBlk):', '/proc/self/status'])"
      : "process.execve(process.execPath, [process.execPath, '-e', 'console.log(\"new program alive\")'])"};
if (loadMemprobe() === null) exec();
memprobe.watchSignals(['SIGUSR2']);
const main = () => memprobe.threadSignalMasks().find((thread) => thread.tid === process.pid);
const helperPending = () => (main().pending.includes('SIGSTKFLT') ? exec() : setImmediate(helperPending));
helperPending();`;
    for (const target of ['grep', 'node'] as const) {
      const runs = runWithAndWithout(script(target), { loadAddon: false });
      expect(ending(runs.with)).toEqual(ending(runs.without));
      expect(ending(runs.with)).toMatchObject({ status: 0, signal: null, stderr: '' });
    }
  },
);
