// SIGCHLD feeds libuv's child_process: while memprobe watches it, every SIGCHLD is handed on to the handler
// that would have run without memprobe (libuv's), so nothing in child_process waits forever. Each scenario runs
// twice in a child process with an overall timeout, with and without the watch, and must end the same way.
import { runChild } from './helpers/child';

// Every synchronous and asynchronous way child_process waits for a child, with and without a timeout. Prints
// what each one returned; with WATCH set, also what the watcher saw of the children it knows the pid of.
const SCENARIO = `
const cp = require('node:child_process');
const watch = process.env.WATCH === '1';
const seen = [];
const watcher = watch ? memprobe.watchSignals(['SIGCHLD'], (info) => seen.push(info)) : null;
const outcome = (call) => { try { const r = call(); return r && r.status !== undefined ? { status: r.status, signal: r.signal, error: r.error && r.error.code } : { value: String(r).trim() }; } catch (e) { return { status: e.status, signal: e.signal, error: e.code }; } };
const results = {
  spawnSync: outcome(() => cp.spawnSync('true')),
  spawnSyncTimeout: outcome(() => cp.spawnSync('sleep', ['10'], { timeout: 300 })),
  execSync: outcome(() => cp.execSync('echo hi')),
  execSyncTimeout: outcome(() => cp.execSync('sleep 10', { timeout: 300 })),
  execFileSyncStatus: outcome(() => cp.execFileSync(process.execPath, ['-e', 'process.exit(3)'])),
};
const child = cp.spawn('sh', ['-c', 'exit 7']);
child.on('exit', (code, signal) => {
  results.spawnExit = { code, signal };
  const deadline = Date.now() + 5000;
  const finish = () => {
    if (watch && !seen.some((info) => info.pid === child.pid) && Date.now() < deadline) return setTimeout(finish, 5);
    if (watcher) watcher.close();
    const mine = seen.filter((info) => info.pid === child.pid).map((info) => info.signal + ' ' + info.code);
    console.log(JSON.stringify({ results, mine, after: cp.spawnSync('true').status }));
  };
  finish();
});`;

const EXPECTED = {
  spawnSync: { status: 0, signal: null },
  spawnSyncTimeout: { status: null, signal: 'SIGTERM', error: 'ETIMEDOUT' },
  execSync: { value: 'hi' },
  execSyncTimeout: { status: null, signal: 'SIGTERM', error: 'ETIMEDOUT' },
  execFileSyncStatus: { status: 3, signal: null },
  spawnExit: { code: 7, signal: null },
};

function run(before: string, watch: boolean) {
  const result = runChild(before + SCENARIO, { env: { ...process.env, WATCH: watch ? '1' : '0' }, timeoutMs: 20_000 });
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(result.stdout);
}

describe.each([
  ['libuv has no child yet when the watch starts', ''],
  ['libuv already waits for a child when the watch starts', `const sleeper = require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); sleeper.unref(); process.on('exit', () => sleeper.kill());\n`],
])('while SIGCHLD is watched (%s)', (_name, before) => {
  test('spawnSync, execSync and execFileSync return, with and without a timeout, as they do unwatched', () => {
    const watched = run(before, true);
    const unwatched = run(before, false);
    expect(unwatched.results).toEqual(EXPECTED);
    expect(watched.results).toEqual(unwatched.results);
    expect(watched.after).toBe(0);  // and after close
    // The watcher saw the asynchronous child's exit with its pid, as CLD_EXITED.
    expect(watched.mine).toEqual(['SIGCHLD CLD_EXITED']);
  });
});

test('SIGCHLD carries the child\'s exit code or signal and its CPU times, as waitpid reports them', () => {
  // The kernel's own answer (child_process's exit event, from waitpid) is the reference for each child.
  const result = runChild(`
const cp = require('node:child_process');
const seen = [];
const watcher = memprobe.watchSignals(['SIGCLD'], (info) => seen.push(info));
const run = (command, args, kill) => new Promise((resolve) => {
  const child = cp.spawn(command, args, { stdio: 'ignore' });
  if (kill) child.once('spawn', () => child.kill('SIGKILL'));
  child.once('exit', (code, signal) => resolve({ pid: child.pid, code, signal }));
});
// The first child spends 300 ms of CPU time (by its own count) before it exits 3.
const busy = 'const end = 300000; while (process.cpuUsage().user + process.cpuUsage().system < end); process.exit(3)';
(async () => {
  const exited = await run(process.execPath, ['-e', busy], false);
  const killed = await run('sleep', ['30'], true);
  const infoOf = async (pid) => { while (!seen.some((info) => info.pid === pid)) await new Promise((r) => setImmediate(r)); return seen.find((info) => info.pid === pid); };
  const summary = [];
  for (const child of [exited, killed]) {
    const info = await infoOf(child.pid);
    summary.push({ child: { code: child.code, signal: child.signal }, info: { signal: info.signal, code: info.code, status: info.status, cpu: info.utime + info.stime } });
  }
  watcher.close();
  console.log(JSON.stringify(summary));
})();`, { timeoutMs: 20_000 });
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  const [exited, killed] = JSON.parse(result.stdout);
  expect(exited.child).toEqual({ code: 3, signal: null });
  expect(exited.info).toMatchObject({ signal: 'SIGCHLD', code: 'CLD_EXITED', status: 3 });
  // The kernel counts in clock ticks; the child's 300 ms are at least 0.25 s of them whatever the rounding.
  expect(exited.info.cpu).toBeGreaterThanOrEqual(0.25);
  expect(killed.child).toEqual({ code: null, signal: 'SIGKILL' });
  expect(killed.info).toMatchObject({ signal: 'SIGCHLD', code: 'CLD_KILLED', status: 9 });
  expect(killed.info.cpu).toBeGreaterThanOrEqual(0);
});
