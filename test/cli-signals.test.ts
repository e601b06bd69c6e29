// The memprobe command's signal subcommands, run as a user would: node dist/cli.js (built by npm test).
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { PACKAGE_ROOT } from './helpers/child';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');

function memprobe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
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
