// Signals with their full siginfo: watchers fed by memprobe's dedicated thread (native/signals/signal_hub.h), sending,
// the calling thread's mask and every thread's signal state.
//
// How a watched signal reaches a listener: every thread blocks it, the dedicated thread dequeues it from a
// signalfd, appends it to each watching environment's queue and wakes that environment through a thread-safe
// function; `dispatch` below turns the batch into SignalInfo objects and hands each to every open watcher of
// that signal in this environment. With delivery through the event loop (setSignalDelivery, the default), the
// signals of a copy that shares none with another are read by its environment's event loop from a signalfd of its
// own instead: one wake-up.
import { constants } from 'node:os';

import { invalidArgType, outOfRange } from '../common/errors';
import { binding, type NativeThreadStatus, type SignalSubscriber } from '../common/native';
import { lookupSignal, maskToNames, numbersToMask, signalName, type SignalName, toSignalNumber, toSignalNumbers } from './names';
import { checkKnownOptions, checkPid } from '../common/validate';

/**
 * si_code: who sent a signal and how; for SIGCHLD, what happened to the child.
 * @group Signals
 */
export type SignalCode =
  | 'SI_USER' | 'SI_KERNEL' | 'SI_QUEUE' | 'SI_TIMER' | 'SI_MESGQ' | 'SI_ASYNCIO' | 'SI_SIGIO' | 'SI_TKILL'
  | 'SI_DETHREAD' | 'SI_ASYNCNL'
  | 'CLD_EXITED' | 'CLD_KILLED' | 'CLD_DUMPED' | 'CLD_TRAPPED' | 'CLD_STOPPED' | 'CLD_CONTINUED'
  | `SI_CODE(${number})`;

/**
 * A signal as it arrived, with its siginfo.
 * @group Signals
 */
export interface SignalInfo {
  /** the signal's name */
  signal: SignalName;
  /** the signal's number */
  signo: number;
  /** 'SI_USER' (kill), 'SI_QUEUE' (sigqueue), 'SI_TKILL' (tgkill, raise), 'SI_KERNEL', …; a code with no name comes as 'SI_CODE(<n>)' */
  code: SignalCode;
  /** sender, where the kernel says (0 otherwise) */
  pid: number;
  /** the sender's real user id, where the kernel says (0 otherwise) */
  uid: number;
  /** the sigqueue value as a signed 32-bit integer, `sival_int` (also for SI_TIMER, SI_MESGQ); null when none was sent */
  value: number | null;
  /**
   * the same value as the whole 64-bit union, `sival_ptr`, unsigned; null when none was sent. A number sent
   * with sigqueue fills only the low 32 bits (a value of -1 reads 0xffffffffn here); a bigint fills them all.
   */
  valuePointer: bigint | null;
  /** SIGCHLD with a CLD_* code: the child's exit code (CLD_EXITED) or the number of the signal that ended, stopped or continued it */
  status?: number;
  /** SIGCHLD with a CLD_* code: the child's user CPU time in seconds (the kernel counts in clock ticks: 10 ms steps) */
  utime?: number;
  /** SIGCHLD with a CLD_* code: the child's system CPU time in seconds, in the same steps */
  stime?: number;
}

/**
 * Options of {@link watchSignals}.
 * @group Signals
 */
export interface WatchOptions {
  /** SIGUSR1 starts Node's inspector; watching it takes that away, so it must be asked for. */
  allowInspectorSignal?: boolean;
}

/**
 * An open watch of some signals: a listener gets each, and `for await` takes them in turn. Unref'd by default: a
 * watcher alone does not keep the process alive, so `ref()` it for as long as the event loop should wait for it.
 * While a `for await` waits for the next signal, the watcher keeps the process alive as if ref()'d (as Node's
 * `events.on` does), so a daemon's `for await` loop needs no ref(). Leaving a `for await` loop (break, return,
 * throw) closes the watcher.
 * @group Signals
 */
export interface SignalWatcher extends AsyncIterable<SignalInfo> {
  /** the signals watched, by name, each once */
  readonly signals: SignalName[];
  /** tid of the dedicated thread that dequeues the signals (a target for signalThread that never blocks them) */
  readonly threadId: number;
  /**
   * Stops watching; the last watcher of a signal restores what was there before. Ends pending iterations. When
   * the last watcher closes, the dedicated thread ends: /proc/self/task no longer lists it once close() returns.
   */
  close(): void;
  /**
   * Keep the event loop alive while this watcher is open (watchers are unref'd by default).
   * @returns this watcher
   */
  ref(): this;
  /**
   * Let the event loop end while this watcher is open (the default).
   * @returns this watcher
   */
  unref(): this;
}

/**
 * One thread's signal state, as /proc/<pid>/task/<tid>/status lists it; each set lowest number first.
 * @group Signals
 */
export interface ThreadMask {
  /** the thread's id */
  tid: number;
  /** the thread's name (its comm) */
  name: string;
  /** the signals it blocks */
  blocked: SignalName[];
  /** directed at this thread */
  pending: SignalName[];
  /** directed at the whole process */
  sharedPending: SignalName[];
  /** the signals the process ignores */
  ignored: SignalName[];
  /** the signals the process has a handler for */
  caught: SignalName[];
}

const FIELDS = binding.signalConstants.eventFields;
const CLOCK_TICKS = binding.signalConstants.clockTicks;
const CODES = new Map<number, SignalCode>([
  [0, 'SI_USER'],
  [0x80, 'SI_KERNEL'],
  [-1, 'SI_QUEUE'],
  [-2, 'SI_TIMER'],
  [-3, 'SI_MESGQ'],
  [-4, 'SI_ASYNCIO'],
  [-5, 'SI_SIGIO'],
  [-6, 'SI_TKILL'],
  [-7, 'SI_DETHREAD'],
  [-60, 'SI_ASYNCNL'],
]);
const S = constants.signals;
const CHILD_CODES: SignalCode[] = ['CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'];

function codeName(signo: number, code: number): SignalCode {
  if (signo === S.SIGCHLD && code >= 1 && code <= CHILD_CODES.length) return CHILD_CODES[code - 1];
  return CODES.get(code) ?? `SI_CODE(${code})`;
}

// Why each signal that cannot be watched or blocked is refused: the addon's own list (it refuses them too).
const WATCH_REFUSALS = binding.signalConstants.watchRefusals;
const BLOCK_REFUSALS = binding.signalConstants.blockRefusals;

/** A signal that may be watched; RangeError saying why not otherwise. */
function checkWatchable(signo: number, argument: string, value: unknown, options: WatchOptions): void {
  const reason = signo === S.SIGUSR1 && !options.allowInspectorSignal
    ? 'Node starts the inspector on SIGUSR1; pass { allowInspectorSignal: true } to watch it anyway'
    : WATCH_REFUSALS[signo];
  if (reason !== undefined) throw outOfRange(argument, `a signal that can be watched (${reason})`, value);
}

/** The open watchers of this copy of the module (each worker has its own; so has each jest test file). */
const watchers = new Set<Watcher>();
let referenced = 0;
/** This copy's native subscriber, created at its first watch. */
let subscriber: SignalSubscriber | undefined;

/** @internal How signals reach this copy's listeners: see {@link setSignalDelivery}. */
export type SignalDelivery = 'thread' | 'loop';
/** The default, chosen by bench/signals.js (docs/performance.md, "The signal benchmark"). */
let delivery: SignalDelivery = 'loop';

/**
 * @internal Which path this copy's signals take to the listeners: 'loop', read by this environment's event loop
 * from a signalfd of its own (one wake-up, as process.on), or 'thread', read by the dedicated thread and handed
 * over through a thread-safe function (two wake-ups; the dedicated thread drains the kernel's queue even while
 * JavaScript is busy). A copy that shares a watched signal with another, or watches SIGCHLD, always takes the
 * thread. For the tests and the benchmark, which measure both.
 */
export function setSignalDelivery(mode: SignalDelivery): void {
  if (mode !== 'thread' && mode !== 'loop') throw outOfRange('mode', "'thread' or 'loop'", mode);
  delivery = mode;
  if (subscriber !== undefined) binding.setSignalDelivery(subscriber, mode === 'loop');
}

function dispatch(events: Int32Array): void {
  const current = [...watchers];  // a listener may open or close watchers meanwhile
  for (let i = 0; i + FIELDS <= events.length; i += FIELDS) {
    const signo = events[i];
    const info: SignalInfo = {
      signal: signalName(signo),
      signo,
      code: codeName(signo, events[i + 1]),
      pid: events[i + 2],
      uid: events[i + 3],
      value: events[i + 5] ? events[i + 4] : null,
      valuePointer: events[i + 5] ? (BigInt(events[i + 8] >>> 0) << 32n) | BigInt(events[i + 7] >>> 0) : null,
    };
    if (signo === S.SIGCHLD && events[i + 1] > 0) {
      info.status = events[i + 6];
      info.utime = events[i + 9] / CLOCK_TICKS;
      info.stime = events[i + 10] / CLOCK_TICKS;
    }
    for (const watcher of current) watcher.deliver(info);
  }
}

/**
 * @internal Hands every watched signal already pending for the process, or already taken by the dedicated
 * thread, to the open watchers now, instead of at the event loop's next poll phase (where the thread-safe
 * function's wake-up runs, after the timers). A wait whose time is up asks this before it answers "nothing".
 */
export function deliverPendingSignals(): void {
  if (subscriber === undefined) return;
  const events = binding.flushSignals(subscriber);
  if (events !== undefined) dispatch(events);
}

// Pending signals and the signal mask survive execve, handlers do not: a mask helper left pending on the thread
// that calls process.execve (one that blocks the helper) would start the new program with a signal whose default
// action ends it, and the new program would inherit memprobe's blocked bits. process.execve (Node 22.15+, 23.11+)
// is wrapped once per process so that the calling thread is cleaned first; it never returns when it succeeds,
// and Node aborts the process when the exec itself fails, so only its argument checks can bring us back.
const EXECVE_WRAPPED = Symbol.for('memprobe.execveWrapped');
type ExecveProcess = NodeJS.Process & { execve?: (...args: unknown[]) => never; [EXECVE_WRAPPED]?: boolean };
const execProcess = process as ExecveProcess;
if (typeof execProcess.execve === 'function' && !execProcess[EXECVE_WRAPPED]) {
  const execve = execProcess.execve;
  execProcess[EXECVE_WRAPPED] = true;
  execProcess.execve = function execveAfterMemprobe(this: unknown, ...args: unknown[]): never {
    binding.prepareExec();
    try {
      return execve.apply(this, args);
    } finally {
      binding.cancelExec();
    }
  };
}

// A process listener for a watched signal changes its disposition through libuv, inside Node's own
// 'newListener'/'removeListener' hooks (which run before these): the first listener installs libuv's handler,
// the last one's removal resets the signal to SIG_DFL. While a watcher holds the signal, take it back; what
// libuv left becomes the disposition restored when the last watcher closes.
function reclaimAfterProcessListener(event: string | symbol): void {
  if (typeof event !== 'string' || !event.startsWith('SIG')) return;
  const signo = lookupSignal(event);
  if (signo !== undefined && [...watchers].some((watcher) => watcher.signos.includes(signo))) binding.reclaimSignal(signo);
}

class Watcher implements SignalWatcher {
  readonly signals: SignalName[];
  readonly threadId: number;
  readonly signos: number[];
  readonly #listener: ((info: SignalInfo) => void) | undefined;
  #open = true;
  /** ref() was called (and not undone by unref()) */
  #referenced = false;
  /** this watcher holds one count of `referenced`: ref()'d, or a `for await` waits on it */
  #holding = false;
  // Iteration: infos not yet taken, and iterations waiting for one. Buffered only when someone can take them
  // (no listener, or an iterator was asked for), so a listener-only watcher holds nothing.
  #buffering: boolean;
  readonly #buffer: SignalInfo[] = [];
  readonly #waiting: Array<(result: IteratorResult<SignalInfo>) => void> = [];

  constructor(signos: number[], listener: ((info: SignalInfo) => void) | undefined) {
    this.signos = signos;
    this.signals = signos.map(signalName);
    this.#listener = listener;
    this.#buffering = listener === undefined;
    if (subscriber === undefined) {
      subscriber = binding.createSignalSubscriber(dispatch);
      if (delivery === 'loop') binding.setSignalDelivery(subscriber, true);
    }
    this.threadId = binding.watchSignals(subscriber, signos);
    if (watchers.size === 0) {
      process.on('newListener', reclaimAfterProcessListener);
      process.on('removeListener', reclaimAfterProcessListener);
    }
    watchers.add(this);
  }

  deliver(info: SignalInfo): void {
    if (!this.#open || !this.signos.includes(info.signo)) return;
    if (this.#listener !== undefined) {
      try {
        this.#listener(info);
      } catch (error) {
        // Thrown where it would be for any event: after this batch, as an uncaught exception.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    const waiting = this.#waiting.shift();
    if (waiting !== undefined) {
      waiting({ value: info, done: false });
      this.#updateHold();
    } else if (this.#buffering && this.#open) {
      this.#buffer.push(info);
    }
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#referenced = false;
    watchers.delete(this);
    if (watchers.size === 0) {
      process.removeListener('newListener', reclaimAfterProcessListener);
      process.removeListener('removeListener', reclaimAfterProcessListener);
    }
    if (subscriber !== undefined) binding.unwatchSignals(subscriber, this.signos);
    for (const resolve of this.#waiting.splice(0)) resolve({ value: undefined, done: true });
    this.#updateHold();
  }

  ref(): this {
    if (this.#open) this.#referenced = true;
    this.#updateHold();
    return this;
  }

  unref(): this {
    this.#referenced = false;
    this.#updateHold();
    return this;
  }

  /**
   * The event loop waits for an open watcher that is ref()'d or that a `for await` is waiting on (a pending
   * next()): as with Node's events.on, the obvious daemon loop keeps the process alive, and a watcher that
   * nobody waits on lets it end.
   */
  #updateHold(): void {
    const hold = this.#open && (this.#referenced || this.#waiting.length > 0);
    if (hold === this.#holding) return;
    this.#holding = hold;
    if (hold && referenced++ === 0 && subscriber !== undefined) binding.referenceSignals(subscriber, true);
    if (!hold && --referenced === 0 && subscriber !== undefined) binding.referenceSignals(subscriber, false);
  }

  /** Each info goes to one waiting iteration. Leaving a `for await` loop (break, return, throw) closes the watcher. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SignalInfo> {
    this.#buffering = true;
    const next = (): Promise<IteratorResult<SignalInfo>> => {
      const info = this.#buffer.shift();
      if (info !== undefined) return Promise.resolve({ value: info, done: false });
      if (!this.#open) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        this.#waiting.push(resolve);
        this.#updateHold();
      });
    };
    const end = (): Promise<IteratorResult<SignalInfo>> => {
      this.close();
      return Promise.resolve({ value: undefined, done: true });
    };
    return { next, return: end, [Symbol.asyncIterator]() { return this; } };
  }
}

/**
 * Watches signals with their full siginfo: each goes to `listener` and to any `for await` over the watcher. A
 * watched signal never kills the process, whichever thread the kernel picks; the last watcher of a signal to close
 * restores what was there before. Watchers are unref'd by default.
 * @param signals - the signals to watch, by name or number (repeats count once)
 * @param listener - called with each signal's info (none: iterate the watcher instead)
 * @param options - allows watching SIGUSR1, which starts Node's inspector
 * @returns the watcher; close it when done
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `signals` is not an array of names or numbers, `listener` not a
 * function, `options` not an object or `options.allowInspectorSignal` not a boolean
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when a name is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `signals` is empty, a number is not from 1 to SIGRTMAX, or a signal
 * cannot be watched (the message says why): SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
 * SIGPROF, the C library's reserved signals, the one memprobe uses itself, and SIGUSR1 without `allowInspectorSignal`
 * @throws {@link SystemError} when a system call fails (sigaction)
 * @group Signals
 * @example
 * ```ts
 * import { sendSignal, watchSignals } from 'memprobe';
 *
 * const watcher = watchSignals(['SIGRTMIN+1'], (info) => {
 *   console.log(info.signal, info.code, info.pid === process.pid, info.value);  // SIGRTMIN+1 SI_QUEUE true 7
 *   watcher.close();
 * }).ref();
 * sendSignal(process.pid, 'SIGRTMIN+1', { value: 7 });
 * ```
 */
export function watchSignals(signals: Array<SignalName | number>, listener?: ((info: SignalInfo) => void) | null, options: WatchOptions = {}): SignalWatcher {
  if (listener !== undefined && listener !== null && typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
  checkKnownOptions(options, ['allowInspectorSignal']);
  if (options.allowInspectorSignal !== undefined && typeof options.allowInspectorSignal !== 'boolean') {
    throw invalidArgType('options.allowInspectorSignal', 'of type boolean', options.allowInspectorSignal);
  }
  const signos = toSignalNumbers(signals, 'signals');
  if (signos.length === 0) throw outOfRange('signals', 'a non-empty array of signals', signals);
  signos.forEach((signo, index) => checkWatchable(signo, `signals[${index}]`, signals[index], options));
  return new Watcher([...new Set(signos)], listener ?? undefined);
}

/**
 * kill(2), or sigqueue(3) with `value`. Signal 0 only checks that the process exists and may be signalled.
 *
 * The value travels in a `union sigval`: a number fills `sival_int` (the other 32 bits zero), a bigint fills the
 * whole 64-bit `sival_ptr`. A receiver in C reads whichever member it asks for: `si_value.sival_int` is the low 32
 * bits of a bigint on little-endian machines (x86-64, arm64), `si_value.sival_ptr` the whole of it. A watcher gets
 * both, as `SignalInfo.value` and `SignalInfo.valuePointer`.
 * @param pid - the process, a positive integer
 * @param signal - a signal name or number (0: only check)
 * @param options - `value`: a signed 32-bit integer (`sival_int`) or a bigint from 0 to 2^64-1 (`sival_ptr`), sent with sigqueue
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `pid` is not a number, `signal` not a name or number, `options` not an object or `options.value` not a number or bigint
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `signal` is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `pid` is not a positive 32-bit integer, `signal` not from 0 to
 * SIGRTMAX, or `options.value` not a signed 32-bit integer (a number) or not from 0 to 2^64-1 (a bigint)
 * @throws {@link SystemError} when kill or sigqueue fails: `ESRCH` (no such process), `EPERM` (not allowed)
 * @group Signals
 * @example
 * ```ts
 * import { sendSignal, SystemError } from 'memprobe';
 *
 * sendSignal(process.pid, 0);            // signal 0 only checks that the process exists
 * try {
 *   sendSignal(0x7fffffff, 'SIGTERM');   // above Linux's largest pid: no such process
 * } catch (error) {
 *   if (!(error instanceof SystemError)) throw error;
 *   console.log(error.syscall, error.code);  // kill ESRCH
 * }
 * ```
 */
export function sendSignal(pid: number, signal: SignalName | number, options: { value?: number | bigint } = {}): void {
  checkPid(pid, 'pid');
  const signo = toSignalNumber(signal, 'signal', true);
  checkKnownOptions(options, ['value']);
  const value = options.value;
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw outOfRange('options.value', 'a bigint from 0 to 2^64-1 (sival_ptr)', value);
  } else if (value !== undefined) {
    if (typeof value !== 'number') throw invalidArgType('options.value', 'of type number or bigint', value);
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw outOfRange('options.value', 'a signed 32-bit integer', value);
    }
  }
  binding.sendSignal(pid, signo, value);
}

/**
 * tgkill(2): one thread of this process.
 * A thread that blocks the signal keeps it pending (see {@link threadSignalMasks}).
 * @param tid - the thread's id, a positive integer (a watcher's `threadId` always qualifies)
 * @param signal - a signal name or number (0: only check)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `tid` is not a number or `signal` not a name or number
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `signal` is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `tid` is not a positive 32-bit integer or `signal` not from 0 to SIGRTMAX
 * @throws {@link SystemError} when tgkill fails (`ESRCH`: no such thread in this process)
 * @group Signals
 */
export function signalThread(tid: number, signal: SignalName | number): void {
  checkPid(tid, 'tid');
  binding.signalThread(tid, toSignalNumber(signal, 'signal', true));
}

/**
 * @internal tgkill(2) aimed at a thread of another process (`memprobe send --thread`): `tid` must be a thread of
 * `pid`, or the kernel answers ESRCH.
 */
export function signalProcessThread(pid: number, tid: number, signal: SignalName | number): void {
  checkPid(pid, 'pid');
  checkPid(tid, 'tid');
  binding.signalThread(tid, toSignalNumber(signal, 'signal', true), pid);
}

function changeMask(how: 1 | 2, signals: Array<SignalName | number>): SignalName[] {
  const signos = toSignalNumbers(signals, 'signals');
  if (how === 1) {
    signos.forEach((signo, index) => {
      const reason = BLOCK_REFUSALS[signo];
      if (reason !== undefined) throw outOfRange(`signals[${index}]`, `a signal that can be blocked (${reason})`, signals[index]);
    });
  }
  return maskToNames(binding.changeSignalMask(how, numbersToMask(signos)));
}

/**
 * Blocks signals on the calling thread; returns its mask before. A watched signal is blocked on every thread
 * anyway (that is how the dedicated thread gets it): blocking it here only keeps it blocked after the last
 * watcher closes.
 * @param signals - the signals to block, by name or number
 * @returns the calling thread's blocked signals before the call, lowest number first
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `signals` is not an array of names or numbers
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when a name is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when a number is not from 1 to SIGRTMAX, or a signal cannot be blocked
 * (SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, the C library's reserved signals; the message says why)
 * @throws {@link SystemError} when pthread_sigmask fails
 * @group Signals
 */
export function blockSignals(signals: Array<SignalName | number>): SignalName[] {
  return changeMask(1, signals);
}

/**
 * Unblocks signals on the calling thread; returns its mask before. A watched signal stays blocked until its
 * last watcher closes (so the dedicated thread stays the only one that takes it, in order); then it is unblocked.
 * @param signals - the signals to unblock, by name or number
 * @returns the calling thread's blocked signals before the call, lowest number first
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `signals` is not an array of names or numbers
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when a name is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when a number is not from 1 to SIGRTMAX
 * @throws {@link SystemError} when pthread_sigmask fails
 * @group Signals
 */
export function unblockSignals(signals: Array<SignalName | number>): SignalName[] {
  return changeMask(2, signals);
}

/**
 * The calling thread's mask.
 * @returns the signals the calling thread blocks, lowest number first
 * @throws {@link SystemError} when pthread_sigmask fails
 * @group Signals
 */
export function blockedSignals(): SignalName[] {
  return maskToNames(binding.changeSignalMask(0, 0n));
}

/** @internal */
export function toThreadMask(status: NativeThreadStatus): ThreadMask {
  return {
    tid: status.tid,
    name: status.name,
    blocked: maskToNames(status.blocked),
    pending: maskToNames(status.pending),
    sharedPending: maskToNames(status.sharedPending),
    ignored: maskToNames(status.ignored),
    caught: maskToNames(status.caught),
  };
}

/**
 * Every thread of a process (this one by default), from /proc/<pid>/task/<tid>/status.
 * @param pid - another process (default: this one)
 * @returns each thread's id, name and signal sets
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `pid` is not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when the process's task directory cannot be read (`ESRCH`: no such process)
 * @group Signals
 * @example
 * ```ts
 * import { threadSignalMasks } from 'memprobe';
 *
 * const main = threadSignalMasks().find((thread) => thread.tid === process.pid);
 * console.log(main?.blocked);  // [] unless something blocked signals on the main thread
 * ```
 */
export function threadSignalMasks(pid?: number): ThreadMask[] {
  if (pid !== undefined) checkPid(pid, 'pid');
  return binding.threadStatuses(pid ?? 0).map(toThreadMask);
}
