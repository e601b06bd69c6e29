// The masking demonstration's invariants: what the kernel did, read back, and everything restored after.
import * as path from 'node:path';

import { PACKAGE_ROOT, runChild, spawnNodeSync } from './helpers/child';

test('the kernel delivers a process-directed signal to a thread that does not block it; a thread-directed one waits on its blocking target', () => {
  const result = runChild(`
const demo = memprobe.maskingDemo();
const after = memprobe.threadSignalMasks();
console.log(JSON.stringify({ demo, after }));`);
  expect(result).toMatchObject({ status: 0, signal: null, stderr: '' });
  const { demo, after } = JSON.parse(result.stdout);
  const byTid = new Map(demo.threads.map((thread: { tid: number }) => [thread.tid, thread]));

  // Every thread blocks the demo signal except demo-open, and the kernel picked demo-open.
  const open = demo.threads.filter((thread: { blocksSignal: boolean }) => !thread.blocksSignal);
  expect(open.map((thread: { role: string }) => thread.role)).toEqual(['demo-open']);
  expect(demo.threads.filter((thread: { role: string }) => thread.role === 'demo-blocks')).toHaveLength(2);
  expect(demo.processDirected).toEqual({ deliveredTo: open[0].tid, deliveredToName: 'demo-open', blockedThere: false });
  expect(byTid.get(demo.processDirected.deliveredTo)).toMatchObject({ blocksSignal: false });

  const [blocked, unblocked] = demo.threadDirected;
  expect(blocked).toMatchObject({ targetBlocks: true, targetName: 'demo-blocks-1', handledBy: null, pendingOnTarget: true });
  expect(unblocked).toEqual({ target: open[0].tid, targetName: 'demo-open', targetBlocks: false, handledBy: open[0].tid, pendingOnTarget: false });

  // Restored: the demo threads are gone, nobody blocks or handles the signal, nothing is pending.
  const tids = new Set(after.map((thread: { tid: number }) => thread.tid));
  for (const thread of demo.threads.filter((t: { role: string }) => t.role !== 'other')) expect(tids.has(thread.tid)).toBe(false);
  for (const thread of after) {
    if (!thread.blocked.includes('SIGHUP')) expect(thread.blocked).not.toContain(demo.signal);  // except the inspector's (blocks all)
    expect([...thread.pending, ...thread.sharedPending, ...thread.caught]).not.toContain(demo.signal);
  }
});

test('examples/masking-demo.js runs with require(\'memprobe\') and explains the result', () => {
  const run = spawnNodeSync([path.join(PACKAGE_ROOT, 'examples', 'masking-demo.js')], { encoding: 'utf8', cwd: '/', timeout: 30_000 });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toMatch(/delivered it to \d+\n\s+\(demo-open\), one of the 1 thread\(s\) that do not block it/);
  expect(run.stdout).toMatch(/it is pending on that thread/);
});
