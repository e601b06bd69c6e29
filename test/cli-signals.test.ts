// The memprobe command's signal subcommands, run as a user would: node dist/cli.js (built by npm test).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

import { binding } from '../lib/common/native';
import { commandFor, PACKAGE_ROOT, spawnNode, spawnNodeSync } from './helpers/child';
import { buildFixture } from './helpers/native-fixture';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');

function memprobe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnNodeSync([CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('masking-demo prints a table, and JSON with --json', () => {
  const table = memprobe('masking-demo');
  expect(table).toMatchObject({ status: 0, stderr: '' });
  expect(table.stdout).toMatch(/^TID +NAME +ROLE +BLOCKS SIGRT\S+ +KILL\(\) LANDED$/m);
  expect(table.stdout).toMatch(/^\d+ +demo-open +demo-open +no +here$/m);
  expect(table.stdout).toMatch(/pending on the target: yes/);

  const json = memprobe('masking-demo', '--json');
  expect(json).toMatchObject({ status: 0, stderr: '' });
  const demo = JSON.parse(json.stdout);
  expect(demo.processDirected).toMatchObject({ deliveredToName: 'demo-open', blockedThere: false });
  expect(demo.threadDirected[0]).toMatchObject({ targetBlocks: true, pendingOnTarget: true, handledBy: null });
});

test('threads shows every thread of a process, as a table or JSON', async () => {
  const child = spawn('sleep', ['10']);
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const json = memprobe('threads', '--pid', String(child.pid), '--json');
    expect(json).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ tid: child.pid, name: 'sleep', blocked: [] })]);
    const table = memprobe('threads', '--pid', String(child.pid));
    expect(table.stdout).toMatch(new RegExp(`^TID +NAME +BLOCKED +PENDING +SHARED PENDING +IGNORED +CAUGHT\\n${child.pid} +sleep +- +- +- `));
  } finally {
    child.kill();
  }
  const own = memprobe('threads', '--self');
  expect(own.status).toBe(0);
  // The inspector's signal thread blocks everything the kernel lets it.
  expect(own.stdout).toMatch(/all but KILL STOP 32 33/);
});

test('bad usage exits 2 with the usage on stderr; a failed system call exits 1', () => {
  for (const args of [['no-such-command'], ['threads', '--self', '--bogus'], ['threads', '--pid', 'x'], ['threads'], ['masking-demo', 'extra']]) {
    const run = memprobe(...args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/usage/);
  }
  expect(memprobe('--help')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^  masking-demo +\S/m) });
  expect(memprobe('threads', '--pid', '2147483646')).toMatchObject({ status: 1, stderr: expect.stringContaining('ESRCH') });
});

const running = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** `memprobe watch …` running in the background: each line of its stdout as it comes, and how it ended. */
function startWatch(...args: string[]) {
  const child = spawnNode([CLI, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ended = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once('close', (status, signal) => resolve({ status, signal, stderr }));
  });
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`watch ended early: ${stderr}`);
    return line.value;
  };
  return { child, nextLine, ended };
}

test('watch and send between two processes: the pid line, then each sigqueued signal as NDJSON, exit 0 after --count', async () => {
  const watch = startWatch('SIGUSR2', '--count', '2', '--json');
  const { pid } = JSON.parse(await watch.nextLine());
  expect(pid).toBe(watch.child.pid);
  const lines: unknown[] = [];
  // One send at a time: two SIGUSR2s pending together would be one (a standard signal is not queued).
  for (let i = 0; i < 2; i++) {
    const sent = memprobe('send', String(pid), 'SIGUSR2', '--value', '7');
    expect(sent).toEqual({ status: 0, stdout: '', stderr: '' });
    lines.push(JSON.parse(await watch.nextLine()));
  }
  expect(await watch.ended).toEqual({ status: 0, signal: null, stderr: '' });
  const uid = process.getuid?.();
  const info = { signal: 'SIGUSR2', signo: 12, code: 'SI_QUEUE', pid: expect.any(Number), uid, value: 7, valuePointer: '0x7' };
  expect(lines).toEqual([info, info]);
});

test('send: kill without a value, a 64-bit sival_ptr, and tgkill to one thread of another process; watch prints each as a line', async () => {
  const watch = startWatch('SIGUSR2', 'RTMIN+1', '--count', '3');
  const pid = Number(/^pid (\d+)$/.exec(await watch.nextLine())?.[1]);
  expect(pid).toBe(watch.child.pid);
  const lines: string[] = [];
  // Every thread of the watch blocks SIGUSR2 but the one that takes it, memprobe-signal: aimed anywhere else it
  // would stay pending on that thread.
  const threads = JSON.parse(memprobe('threads', '--pid', String(pid), '--json').stdout) as Array<{ tid: number; name: string }>;
  const taker = threads.find((thread) => thread.name === 'memprobe-signal');
  expect(taker).toBeDefined();
  const sends = [['SIGUSR2'], ['RTMIN+1', '--value', '0xfedcba9876543210'], ['usr2', '--thread', String(taker?.tid)]];
  for (const args of sends) {
    expect(memprobe('send', String(pid), ...args)).toEqual({ status: 0, stdout: '', stderr: '' });
    lines.push(await watch.nextLine());
  }
  expect(await watch.ended).toEqual({ status: 0, signal: null, stderr: '' });
  expect(lines).toEqual([
    expect.stringMatching(/^SIGUSR2 \(12\) SI_USER from pid \d+ uid \d+$/),
    // sival_int is the low half of sival_ptr (little-endian): 0x76543210.
    expect.stringMatching(new RegExp(`^SIGRTMIN\\+1 \\(${binding.signalConstants.rtmin + 1}\\) SI_QUEUE from pid \\d+ uid \\d+ value 1985229328 \\(sival_ptr 0xfedcba9876543210\\)$`)),
    expect.stringMatching(/^SIGUSR2 \(12\) SI_TKILL from pid \d+ uid \d+$/),
  ]);
});

test('send exits 1 with the errno name when the kernel refuses; bad signals and values are usage errors', () => {
  const refused = memprobe('send', '2147483646', 'SIGUSR2');
  expect(refused).toMatchObject({ status: 1, stdout: '' });
  expect(refused.stderr).toMatch(/^memprobe send: kill failed for pid 2147483646: ESRCH \(/);
  // A thread id that is not one of that process's threads.
  const notMine = memprobe('send', String(process.pid), '0', '--thread', '2147483646');
  expect(notMine).toMatchObject({ status: 1, stderr: expect.stringMatching(/tgkill failed for pid \d+: ESRCH/) });
  for (const args of [['1', 'SIGNOPE'], ['1', '65'], ['x', 'USR2'], ['1', 'USR2', '--value', '1.5'], ['1', 'USR2', '--value', String(2n ** 64n)], ['1', 'USR2', '--value', '1', '--thread', '1'], ['1']]) {
    const run = memprobe('send', ...args);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toMatch(/^memprobe send: .*\(usage: memprobe send <pid> <signal>/);
  }
});

test('watch: the timeout ends it with exit 0, or 1 when --count signals did not all come; unwatchable signals are usage errors', () => {
  expect(memprobe('watch', 'SIGUSR2', '--timeout', '0')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^pid \d+\n$/), stderr: '' });
  expect(memprobe('watch', 'SIGUSR2', '--json', '--count', '1', '--timeout', '0')).toMatchObject({
    status: 1,
    stdout: expect.stringMatching(/^\{"pid":\d+\}\n$/),
    stderr: 'memprobe watch: 0 of 1 signals in 0 ms\n',
  });
  for (const args of [[], ['SIGKILL'], ['SIGNOPE'], ['USR2', '--count', '0'], ['USR2', '--timeout', '-1']]) {
    const run = memprobe('watch', ...args);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toMatch(/\(usage: memprobe watch <signal…>/);
  }
});

test('watch takes SIGCLD, the name Linux defines for SIGCHLD', async () => {
  const watch = startWatch('SIGCLD', '--count', '1', '--json');
  const { pid } = JSON.parse(await watch.nextLine());
  // Only a parent gets its child's SIGCHLD: a kill -CHLD stands in for it here, as SI_USER.
  spawn('kill', ['-CHLD', String(pid)]);
  expect(JSON.parse(await watch.nextLine())).toMatchObject({ signal: 'SIGCHLD', signo: 17, code: 'SI_USER', value: null, valuePointer: null });
  expect(await watch.ended).toMatchObject({ status: 0 });
});

test('a C receiver sees a 64-bit --value whole in si_value.sival_ptr and its low half in sival_int; a 32-bit one in sival_int', async () => {
  const receiver = buildFixture('sigqueue-receiver', { program: true });
  const receive = async (value: string): Promise<string> => {
    const child = spawn(...commandFor(receiver), { stdio: ['ignore', 'pipe', 'inherit'] });
    running.add(child);
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const pid = (await lines.next()).value as string;
    expect(memprobe('send', pid, 'RTMIN+5', '--value', value)).toEqual({ status: 0, stdout: '', stderr: '' });
    return (await lines.next()).value as string;
  };
  // si_code -1 is SI_QUEUE. The same union a watcher reads as value and valuePointer.
  expect(await receive('0xfedcba9876543210')).toBe(`-1 ${0x76543210} 0xfedcba9876543210`);
  expect(await receive('-1')).toBe('-1 -1 0xffffffff');
});
