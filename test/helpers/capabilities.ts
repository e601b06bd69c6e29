// What the system the tests run on can do, detected, never assumed from the architecture's name. Under qemu-user
// (where the arm64 tests run in CI) process_vm_readv is not implemented, the signal masks in /proc are the
// emulator's own, and the stack is a fixed mapping with a PROT_NONE page below it instead of the kernel's
// growable [stack] above an unmapped gap; a kernel or a sandbox can lack some of these too. A test that needs a missing capability is skipped with the reason
// in its name (`[skipped: …]`), which scripts/test-arm64.js prints.
import * as fs from 'node:fs';

import { addressOf, safeRead } from '../../lib';
import { runChild } from './child';

/** Why process_vm_readv/writev (the syscall strategy, reads with { pid }) cannot be used here, or null when they can. */
export const syscallCopyMissing: string | null = (() => {
  const bytes = Buffer.from('memprobe');
  try {
    safeRead(addressOf(bytes), bytes.length, { strategy: 'syscall' });
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSYS') return 'process_vm_readv is not implemented here (ENOSYS)';
    throw error;
  }
})();

/**
 * Why the address just below [stack] is not the kernel's unmapped guard gap here (a mapping ends where the stack
 * begins), or null when it is.
 */
export const stackGapMissing: string | null = (() => {
  const ranges = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line !== '');
  const stack = ranges.find((line) => line.endsWith('[stack]'));
  if (stack === undefined) return 'there is no [stack] in /proc/self/maps';
  const start = stack.split('-')[0];
  const below = ranges.find((line) => line.split(' ')[0].split('-')[1] === start);
  return below === undefined ? null : `a mapping (${below.split(/\s+/).slice(0, 2).join(' ')}) ends where [stack] begins: no unmapped gap below it`;
})();

let procMasks: string | null | undefined;

/**
 * Why the signal masks in /proc/<pid>/task/<tid>/status do not show what a thread blocked, or null when they do:
 * a fresh process blocks SIGWINCH and SIGRTMIN+5 and reads its own mask back. Checked once, on first use.
 */
export function procMasksMissing(): string | null {
  if (procMasks === undefined) {
    const run = runChild(`
      memprobe.blockSignals(['SIGWINCH', 'SIGRTMIN+5']);
      console.log(JSON.stringify(memprobe.threadSignalMasks().find((thread) => thread.tid === process.pid).blocked));`);
    if (run.status !== 0) throw new Error(`reading a blocked mask back failed: ${run.stderr}`);
    const blocked = JSON.stringify(JSON.parse(run.stdout));
    procMasks = blocked === JSON.stringify(['SIGWINCH', 'SIGRTMIN+5']) ? null : `the masks in /proc are not the program's (blocking SIGWINCH and SIGRTMIN+5 shows ${blocked})`;
  }
  return procMasks;
}

/**
 * `test` where nothing is missing (every argument null); otherwise a `test` whose tests (and test.each tables) are
 * skipped, each name ending in `[skipped: <the first missing capability>]`.
 */
export function testNeeding(...capabilities: Array<string | null>): jest.It {
  const missing = capabilities.find((reason) => reason !== null);
  if (missing === undefined) return test;
  const label = (name: string) => `${name} [skipped: ${missing}]`;
  const skipped = (name: string, fn?: jest.ProvidesCallback, timeout?: number) => test.skip(label(name), fn, timeout);
  const each = (table: ReadonlyArray<unknown>) => (name: string, fn: (...args: never[]) => unknown, timeout?: number) =>
    (test.skip.each as (table: ReadonlyArray<unknown>) => (name: string, fn: (...args: never[]) => unknown, timeout?: number) => void)(table)(label(name), fn, timeout);
  return Object.assign(skipped, { ...test, each }) as unknown as jest.It;
}
