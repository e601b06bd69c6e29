// The masking demonstration (native/signals/masking_demo.h): what the kernel does with a signal depending on masks.
import { binding } from '../common/native';
import { signalName, type SignalName } from './names';
import { type ThreadMask, toThreadMask } from './watch';

/**
 * A thread of the process during {@link maskingDemo}.
 * @group Signals
 */
export interface MaskingDemoThread extends ThreadMask {
  /** 'demo-open' and 'demo-blocks-<n>' are the demo's threads; every other thread of the process is 'other' */
  role: 'demo-open' | 'demo-blocks' | 'other';
  /** its mask holds the demo signal */
  blocksSignal: boolean;
}

/**
 * What happened to a signal sent to one thread with tgkill.
 * @group Signals
 */
export interface ThreadDirectedOutcome {
  /** the thread's id */
  target: number;
  /** the thread's name */
  targetName: string;
  /** the thread blocks the signal */
  targetBlocks: boolean;
  /** tid of the thread that ran the handler, null when nobody did */
  handledBy: number | null;
  /** the signal is pending on the target (read from /proc right after the tgkill) */
  pendingOnTarget: boolean;
}

/**
 * What {@link maskingDemo} saw the kernel do.
 * @group Signals
 */
export interface MaskingDemoResult {
  /** a real-time signal nobody handles, picked for the demo */
  signal: SignalName;
  /** its number */
  signo: number;
  /** every thread of the process just before the process-directed send */
  threads: MaskingDemoThread[];
  /** kill(getpid(), signal): the kernel picks a thread that does not block it */
  processDirected: {
    /** tid of the thread that ran the handler */
    deliveredTo: number;
    /** that thread's name */
    deliveredToName: string;
    /** whether that thread blocks the signal (the kernel picks one that does not) */
    blockedThere: boolean;
  };
  /** tgkill to a thread that blocks it (stays pending there), then to the one that does not (delivered there) */
  threadDirected: ThreadDirectedOutcome[];
}

/**
 * Blocks a free real-time signal on every thread, starts three demo threads of which only 'demo-open' does not
 * block it, sends it to the process and then to single threads, and reports what the kernel did. Everything
 * is restored before it returns (the instance left pending on a blocking thread is discarded).
 * @returns the threads before the send, which thread the process-directed signal reached, and what each thread-directed one did
 * @throws {@link SystemError} when a system call of the demo fails (sigaction, …)
 * @group Signals
 * @example
 * ```ts
 * import { maskingDemo } from 'memprobe';
 *
 * const demo = maskingDemo();
 * console.log(demo.processDirected.deliveredToName, demo.processDirected.blockedThere);  // demo-open false
 * ```
 */
export function maskingDemo(): MaskingDemoResult {
  const raw = binding.maskingDemo();
  const bit = 1n << BigInt(raw.signo - 1);
  const roles = new Map(raw.demoThreads.map((thread) => [thread.tid, thread.blocks ? 'demo-blocks' as const : 'demo-open' as const]));
  const threads = raw.before.map((status) => ({
    ...toThreadMask(status),
    role: roles.get(status.tid) ?? ('other' as const),
    blocksSignal: (status.blocked & bit) !== 0n,
  }));
  const find = (tid: number): MaskingDemoThread | undefined => threads.find((thread) => thread.tid === tid);
  const delivered = find(raw.processDirectedTo);
  const outcome = (target: number, handledBy: number, pending: boolean): ThreadDirectedOutcome => ({
    target,
    targetName: find(target)?.name ?? '',
    targetBlocks: find(target)?.blocksSignal ?? false,
    handledBy: handledBy === 0 ? null : handledBy,
    pendingOnTarget: pending,
  });
  return {
    signal: signalName(raw.signo),
    signo: raw.signo,
    threads,
    processDirected: {
      deliveredTo: raw.processDirectedTo,
      deliveredToName: delivered?.name ?? '',
      blockedThere: delivered?.blocksSignal ?? false,
    },
    threadDirected: [
      outcome(raw.blockedTarget, raw.blockedTargetHandledBy, (raw.blockedTargetAfter.pending & bit) !== 0n),
      outcome(raw.openTarget, raw.openTargetHandledBy, (raw.openTargetAfter.pending & bit) !== 0n),
    ],
  };
}
