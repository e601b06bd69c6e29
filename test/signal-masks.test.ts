// Signal masks: every thread's state read from /proc, the calling thread's mask changed, and what watching
// does to every thread's mask and undoes at close. In children: masks of the test runner stay untouched.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as memprobe from '../lib';
import { commandFor, PACKAGE_ROOT, runChild } from './helpers/child';
import { buildFixture } from './helpers/native-fixture';
import { UNTIL } from './helpers/signals';

test('threadSignalMasks lists every thread of this process with its sets as names', () => {
  const result = runChild(`
const fs = require('node:fs');
const masks = memprobe.threadSignalMasks();
const tasks = fs.readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b);
const main = masks.find((thread) => thread.tid === process.pid);
const comm = fs.readFileSync('/proc/self/task/' + process.pid + '/comm', 'utf8').trim();  // Node 20/22 'node', 24 'MainThread', 26 'node-MainThread'
console.log(JSON.stringify({ tids: masks.map((thread) => thread.tid), tasks, main, comm, keys: Object.keys(masks[0]).sort() }));`);
  expect(result).toMatchObject({ status: 0, stderr: '' });
  const { tids, tasks, main, comm, keys } = JSON.parse(result.stdout);
  expect(tids).toEqual(tasks);
  expect(keys).toEqual(['blocked', 'caught', 'ignored', 'name', 'pending', 'sharedPending', 'tid']);
  // Node ignores SIGPIPE and handles SIGINT/SIGTERM (terminal reset); the guard handles SIGSEGV/SIGBUS.
  expect(main).toMatchObject({ name: comm, blocked: [], pending: [], sharedPending: [] });
  expect(main.ignored).toContain('SIGPIPE');
  expect(main.caught).toEqual(expect.arrayContaining(['SIGINT', 'SIGTERM', 'SIGSEGV', 'SIGBUS']));
});

test('threadSignalMasks(pid) reads another process; a missing one is ESRCH', async () => {
  const child = spawn('sleep', ['10']);
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const masks = memprobe.threadSignalMasks(child.pid);
    expect(masks).toEqual([{ tid: child.pid, name: 'sleep', blocked: [], pending: [], sharedPending: [], ignored: expect.any(Array), caught: [] }]);
  } finally {
    child.kill();
  }
  expect(() => memprobe.threadSignalMasks(0x7ffffffe)).toThrow(expect.objectContaining({ name: 'SystemError', code: 'ESRCH', syscall: 'opendir' }));
  expect(() => memprobe.threadSignalMasks(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
});

test('blockSignals / unblockSignals change the calling thread only and return the mask before', () => {
  const result = runChild(`
const others = () => memprobe.threadSignalMasks().filter((t) => t.tid !== process.pid).map((t) => t.blocked.join());
const othersBefore = others();
const steps = {
  block: memprobe.blockSignals(['SIGHUP', 'SIGRTMIN+3', 10]),
  blocked: memprobe.blockedSignals(),
  fromProc: memprobe.threadSignalMasks().find((t) => t.tid === process.pid).blocked,
  unblock: memprobe.unblockSignals(['SIGHUP', 'SIGUSR1']),
  after: memprobe.blockedSignals(),
};
memprobe.unblockSignals(['SIGRTMIN+3']);
console.log(JSON.stringify({ ...steps, end: memprobe.blockedSignals(), othersUnchanged: others().join('|') === othersBefore.join('|') }));`);
  expect(result).toMatchObject({ status: 0, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({
    block: [],
    blocked: ['SIGHUP', 'SIGUSR1', 'SIGRTMIN+3'],
    fromProc: ['SIGHUP', 'SIGUSR1', 'SIGRTMIN+3'],
    unblock: ['SIGHUP', 'SIGUSR1', 'SIGRTMIN+3'],
    after: ['SIGRTMIN+3'],
    end: [],
    othersUnchanged: true,
  });
});

test('a watched signal is blocked on every thread while watched and unblocked everywhere after close', () => {
  const result = runChild(`
const { Worker } = require('node:worker_threads');
const blocking = () => memprobe.threadSignalMasks().filter((t) => t.blocked.includes('SIGWINCH')).map((t) => t.tid);
const everything = memprobe.threadSignalMasks().filter((t) => t.blocked.includes('SIGHUP')).map((t) => t.tid);  // Node's inspector thread
require('node:fs').readFile(__filename, () => {});  // starts the libuv threadpool before the watch
const watcher = memprobe.watchSignals(['SIGWINCH']);
const worker = new Worker('setTimeout(() => {}, 200)', { eval: true });  // created while watching: inherits the mask
worker.once('online', () => {
  const all = memprobe.threadSignalMasks().map((t) => t.tid);
  const whileWatched = blocking();
  watcher.close();
  console.log(JSON.stringify({ all, whileWatched, after: blocking(), everything }));
  worker.terminate();
});`);
  expect(result).toMatchObject({ status: 0, stderr: '' });
  const { all, whileWatched, after, everything } = JSON.parse(result.stdout);
  expect(all.length).toBeGreaterThanOrEqual(13);
  expect(whileWatched).toEqual(all);
  expect(after).toEqual(everything);
});

test('what a thread blocked itself survives a watch; what it unblocked while watched is unblocked at close', () => {
  const result = runChild(`
const watcher = memprobe.watchSignals(['SIGHUP', 'SIGWINCH', 'SIGRTMIN+2']);
memprobe.blockSignals(['SIGHUP']);      // already blocked (watched): stays blocked after close
memprobe.unblockSignals(['SIGWINCH']);  // stays blocked while watched (one dequeuer), unblocked at close
const whileWatched = memprobe.blockedSignals();
watcher.close();
console.log(JSON.stringify({ whileWatched, after: memprobe.blockedSignals() }));`);
  expect(result).toMatchObject({ status: 0, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ whileWatched: ['SIGHUP', 'SIGWINCH', 'SIGRTMIN+2'], after: ['SIGHUP'] });
});

test('signals that must never be blocked are refused with a reason', () => {
  for (const signal of ['SIGSEGV', 'SIGBUS', 'SIGKILL', 'SIGSTOP', 32, 33] as const) {
    expect(() => memprobe.blockSignals([signal])).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/can be blocked \(.+\)/) }));
  }
  expect(() => memprobe.blockSignals('SIGHUP' as unknown as memprobe.SignalName[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});

test('with RLIMIT_SIGPENDING at 0 a watch still blocks the set on every thread and delivers; close unblocks it', () => {
  // No real-time signal can be queued to this process then (tgkill fails with EAGAIN): memprobe's mask helper
  // must not need one.
  const script = `const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
const { binding } = require(${JSON.stringify(require.resolve('../dist/common/native'))});
require('node:fs').readFile(__filename, () => {});  // the libuv threadpool too
const all = () => memprobe.threadSignalMasks();
const everything = all().filter((t) => t.blocked.includes('SIGHUP')).map((t) => t.tid);  // Node's inspector thread
let queued;
try { memprobe.sendSignal(process.pid, 'SIGRTMIN', { value: 1 }); queued = 'queued'; } catch (error) { queued = error.code; }
let received = 0;
const watcher = memprobe.watchSignals(['SIGUSR2'], () => received++);
const notBlocking = all().filter((t) => t.tid !== watcher.threadId && !t.blocked.includes('SIGUSR2')).map((t) => t.name);
process.kill(process.pid, 'SIGUSR2');
const check = () => {
  if (received === 0) return setImmediate(check);
  watcher.close();
  const stillBlocking = all().filter((t) => t.blocked.includes('SIGUSR2') && !everything.includes(t.tid)).map((t) => t.name);
  console.log(JSON.stringify({ queued, notBlocking, received, stillBlocking, stats: binding._signalStats() }));
};
check();`;
  const run = spawnSync('prlimit', ['--sigpending=0', '--', ...commandFor(process.execPath, ['-e', script]).flat()], { encoding: 'utf8', timeout: 30_000 });
  expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(run.stdout)).toEqual({ queued: 'EAGAIN', notBlocking: [], received: 1, stillBlocking: [], stats: expect.objectContaining({ forwarded: 0, dropped: 0 }) });
});

test('a thread whose mask an outer handler restores after the helper ran nested inside it blocks the set again', () => {
  // The outer handler has an empty sa_mask, as V8's SIGPROF handler does, so the helper runs nested inside it and
  // edits the nested frame's mask; the outer sigreturn then puts back the mask without the watched set.
  const fixture = JSON.stringify(buildFixture('foreign-signals'));
  const result = runChild(`${UNTIL}
const { Worker } = require('node:worker_threads');
const fixture = require(${fixture});
const outer = memprobe.signalNumber('SIGRTMIN+10');
fixture.installNested(outer);
const worker = new Worker(\`
  const fixture = require(${fixture.replace(/\\/g, '\\\\')});
  require('node:worker_threads').parentPort.postMessage(fixture.tid());
  fixture.park();  // the outer handler interrupts it there, holding no lock
  setInterval(() => {}, 1000);\`, { eval: true });
worker.once('message', async (tid) => {
  const blocks = () => memprobe.threadSignalMasks().find((t) => t.tid === tid).blocked.includes('SIGUSR2');
  await until(() => fixture.parked() === 1);
  memprobe.signalThread(tid, outer);
  await until(() => fixture.entered() === 1);
  const watcher = memprobe.watchSignals(['SIGUSR2']);
  const insideOuterHandler = blocks();
  fixture.release();
  const deadline = Date.now() + 5000;
  await until(() => (fixture.entered() === 0 && blocks()) || Date.now() > deadline);
  const afterOuterReturned = blocks();
  watcher.close();
  console.log(JSON.stringify({ insideOuterHandler, afterOuterReturned, afterClose: blocks() }));
  await worker.terminate();
});`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ insideOuterHandler: true, afterOuterReturned: true, afterClose: false });
});

test('a thread that blocked the helper while a watch started blocks the set once it stops; later watches reach it at once', () => {
  // libuv blocks every signal around fork/exec in uv_spawn; this worker blocks the helper for longer than any
  // watch waits for it.
  const result = runChild(`${UNTIL}
const { Worker } = require('node:worker_threads');
const { binding } = require(${JSON.stringify(require.resolve('../dist/common/native'))});
const helper = memprobe.signalName(binding.signalConstants.maskHelper);
const worker = new Worker(\`
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  const { parentPort } = require('node:worker_threads');
  memprobe.blockSignals([\${JSON.stringify(helper)}]);
  parentPort.postMessage('blocked');
  parentPort.once('message', () => { memprobe.unblockSignals([\${JSON.stringify(helper)}]); parentPort.postMessage('unblocked'); });
  setInterval(() => {}, 1000);\`, { eval: true });
worker.once('message', async () => {
  const tid = memprobe.threadSignalMasks().find((t) => t.blocked.join() === helper).tid;
  const blocked = () => memprobe.threadSignalMasks().find((t) => t.tid === tid).blocked;
  const first = memprobe.watchSignals(['SIGUSR2']);
  const whileBlockingHelper = blocked();
  worker.postMessage('unblock');
  await new Promise((resolve) => worker.once('message', resolve));
  const deadline = Date.now() + 5000;
  await until(() => blocked().includes('SIGUSR2') || Date.now() > deadline);
  const afterUnblock = blocked();
  const second = memprobe.watchSignals(['SIGWINCH']);
  const secondWatch = blocked();
  first.close();
  second.close();
  console.log(JSON.stringify({ helper, whileBlockingHelper, afterUnblock, secondWatch, afterClose: blocked() }));
  await worker.terminate();
});`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  const { helper } = JSON.parse(result.stdout);
  expect(JSON.parse(result.stdout)).toEqual({ helper, whileBlockingHelper: [helper], afterUnblock: ['SIGUSR2'], secondWatch: ['SIGUSR2', 'SIGWINCH'], afterClose: [] });
});

test('under V8\'s CPU profiler every watch leaves every thread blocking the set', () => {
  // --cpu-prof sends SIGPROF to each busy JavaScript thread every 20 µs; V8's handler has an empty sa_mask, so
  // the helper often runs nested inside it and its sigreturn undoes the helper's work.
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-cpu-prof-'));
  try {
    const result = runChild(`
const { Worker } = require('node:worker_threads');
const workers = [0, 1].map(() => new Worker('let x = 0; for (;;) x = (x * 31 + 7) % 1000003;', { eval: true }));
setTimeout(() => {
  const unblocked = [];
  for (let i = 0; i < 60; i++) {
    const watcher = memprobe.watchSignals(['SIGUSR2']);
    const notBlocking = () => memprobe.threadSignalMasks().filter((t) => t.tid !== watcher.threadId && !t.blocked.includes('SIGUSR2'));
    const deadline = Date.now() + 2000;
    while (notBlocking().length > 0 && Date.now() < deadline);
    // On failure, what the kernel says of each such thread (its mask, what is pending) shows why.
    unblocked.push(...notBlocking().map((t) => ({ iteration: i, name: t.name, status: require('node:fs').readFileSync('/proc/self/task/' + t.tid + '/status', 'utf8').split('\\n').filter((l) => /^(State|SigPnd|ShdPnd|SigBlk|SigCgt)/.test(l)).join(' | ') })));
    watcher.close();
  }
  console.log(JSON.stringify({ unblocked }));
  process.exit(0);
}, 300);`, { nodeArgs: ['--cpu-prof', '--cpu-prof-interval', '20', '--cpu-prof-dir', profiles] });
    expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ unblocked: [] });
  } finally {
    fs.rmSync(profiles, { recursive: true, force: true });
  }
});
