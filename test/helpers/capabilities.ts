// What the system the tests run on can do, detected, never assumed from the architecture's name. Under qemu-user
// (where the arm64 tests run in CI): process_vm_readv is not implemented; the signal masks in /proc are the
// emulator's own; the stack is a fixed mapping with a PROT_NONE page below it, not the kernel's growable [stack]
// above an unmapped gap; there is no [vvar]; MADV_GUARD_INSTALL is accepted and does nothing; sigaltstack refuses
// SS_AUTODISARM; a SIGBUS or SIGSEGV that reaches its default action stops the emulator itself (an assertion in
// qemu 7.2) instead of ending the process. A kernel or a sandbox can lack some of these too. A test that needs a
// missing capability is skipped with the reason in its name (`(skipped: …)`), which scripts/test-arm64.js prints.
import * as fs from 'node:fs';

import { addressOf, mapPages, pageSize, safeRead } from '../../lib';
import { binding } from '../../lib/common/native';
import { runChild } from './child';
import { foreignHandlersAddon } from './native-build';

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

/** Why there is no [vvar] mapping to look at here, or null when there is one. */
export const vvarMissing: string | null = /\s\[vvar[^\]]*\]$/m.test(fs.readFileSync('/proc/self/maps', 'utf8'))
  ? null
  : 'there is no [vvar] mapping in /proc/self/maps';

/** Why guard regions (MADV_GUARD_INSTALL) cannot be made here, or null when a page under one faults as it should. */
export function guardRegionsMissing(): string | null {
  const mapping = mapPages(1);
  try {
    binding._installGuardRegion(mapping.address, pageSize);
    return safeRead(mapping.address, 1).ok ? 'MADV_GUARD_INSTALL is accepted but the page under it still reads' : null;
  } finally {
    mapping.unmap();
  }
}

/**
 * The headless browser the SVG tests render with: Debian's `chromium` (.ci/run installs it), or the program
 * MEMPROBE_TEST_CHROMIUM names. Null when there is none.
 */
export const chromiumPath: string | null = (() => {
  const named = process.env.MEMPROBE_TEST_CHROMIUM;
  if (named !== undefined && named !== '') return fs.existsSync(named) ? named : null;
  for (const directory of (process.env.PATH ?? '').split(':')) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = `${directory}/${name}`;
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        continue;
      }
    }
  }
  return null;
})();

/** Why no headless browser can render here, or null when one can. */
export const chromiumMissing: string | null = chromiumPath !== null
  ? null
  : process.env.MEMPROBE_TEST_CHROMIUM
    ? `MEMPROBE_TEST_CHROMIUM names ${process.env.MEMPROBE_TEST_CHROMIUM}, which does not exist`
    : 'no chromium binary on the PATH (Debian: apt-get install chromium)';

/** How a fresh process with the foreign-handler addon (and without memprobe) ends `script`. */
function inChildWithAddon(script: string, nodeArgs: string[] = []): ReturnType<typeof runChild> {
  return runChild(`const addon = require(${JSON.stringify(foreignHandlersAddon())});\n${script}`, { memprobe: false, nodeArgs });
}

const lazy = <T>(compute: () => T): (() => T) => {
  let value: { computed: T } | undefined;
  return () => (value ??= { computed: compute() }).computed;
};

/**
 * Why a SIGBUS or SIGSEGV with a fault's si_code, queued by a process to itself (rt_tgsigqueueinfo) over the
 * default action, does not end that process by the signal as the kernel does, or null when it does: a fresh
 * process without memprobe sends each one.
 */
export const faultSignalsToDefaultMissing = lazy((): string | null => {
  for (const [signal, signo, code] of [['SIGBUS', 7, 2], ['SIGSEGV', 11, 1]] as const) {
    const run = inChildWithAddon(`addon.sendToSelf(${signo}, ${code}, addon.page); setTimeout(() => console.log('survived'), 200);`, [
      '--disable-wasm-trap-handler',  // nothing but the default action for SIGSEGV
    ]);
    if (run.signal !== signal) {
      const said = run.stderr.split('\n').find((line) => line.trim() !== '' && line.trim() !== '**') ?? '';
      return `a ${signal} queued to itself over the default action does not end a process by ${signal} here (status ${run.status}, signal ${run.signal}: ${said})`;
    }
  }
  return null;
});

/** Why sigaltstack refuses an SS_AUTODISARM stack here, or null when it takes one. */
export const autoDisarmAltStackMissing = lazy((): string | null => {
  const run = inChildWithAddon(`console.log(addon.useAutoDisarmAltStack());`);
  if (run.status !== 0) throw new Error(`setting an SS_AUTODISARM alternate stack failed: ${run.stderr}`);
  return run.stdout === '0\n' ? null : `sigaltstack refuses SS_AUTODISARM here (errno ${run.stdout.trim()})`;
});

/**
 * Why the signal masks in /proc/<pid>/task/<tid>/status do not show what a thread blocked, or null when they do:
 * a fresh process blocks SIGWINCH and SIGRTMIN+5 and reads its own mask back.
 */
export const procMasksMissing = lazy((): string | null => {
  const run = runChild(`
    memprobe.blockSignals(['SIGWINCH', 'SIGRTMIN+5']);
    console.log(JSON.stringify(memprobe.threadSignalMasks().find((thread) => thread.tid === process.pid).blocked));`);
  if (run.status !== 0) throw new Error(`reading a blocked mask back failed: ${run.stderr}`);
  const blocked = JSON.stringify(JSON.parse(run.stdout));
  return blocked === JSON.stringify(['SIGWINCH', 'SIGRTMIN+5']) ? null : `the masks in /proc are not the program's (blocking SIGWINCH and SIGRTMIN+5 shows ${blocked})`;
});

/**
 * `test` where nothing is missing (every argument null); otherwise a `test` whose tests (and test.each tables) are
 * skipped, each name ending in `(skipped: <the first missing capability>)`.
 */
export function testNeeding(...capabilities: Array<string | null>): jest.It {
  const missing = capabilities.find((reason) => reason !== null);
  if (missing === undefined) return test;
  const label = (name: string) => `${name} (skipped: ${missing})`;
  const skipped = (name: string, fn?: jest.ProvidesCallback, timeout?: number) => test.skip(label(name), fn, timeout);
  const each = (table: ReadonlyArray<unknown>) => (name: string, fn: (...args: never[]) => unknown, timeout?: number) =>
    (test.skip.each as (table: ReadonlyArray<unknown>) => (name: string, fn: (...args: never[]) => unknown, timeout?: number) => void)(table)(label(name), fn, timeout);
  return Object.assign(skipped, { ...test, each }) as unknown as jest.It;
}
