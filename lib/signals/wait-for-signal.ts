/// <reference types="node" preserve="true" />
// (The reference above keeps the emitted .d.ts self-sufficient: it uses Node's AbortSignal; see lib/common/types.ts.)
// waitForSignal: one signal, awaited. Built on a watcher (lib/signals/watch.ts): the same siginfo, the same refusals;
// ref'd while it waits, so the process stays alive for it.
//
// Between two waits: when a wait settles, its watch is kept until the end of that turn of the event loop (a
// setImmediate). A wait for the same signals started before then takes it over, with every signal that arrived
// in the meantime (several may come in one batch), so a loop that waits again from the code handling the previous
// result never misses one. If no wait takes it over, the watch is released and the signal has the disposition it
// had before (for most signals, the default action: the process ends), until the next wait.
import { abortError, invalidArgType, outOfRange } from '../common/errors';
import { checkKnownOptions } from '../common/validate';
import { deliverPendingSignals, type SignalInfo, type SignalWatcher, type WatchOptions, watchSignals } from './watch';
import { type SignalName, toSignalNumbers } from './names';

/**
 * Options of {@link waitForSignal}.
 * @group Signals
 */
export interface WaitForSignalOptions extends WatchOptions {
  /** milliseconds; the promise resolves with null when it passes first */
  timeout?: number;
  /** rejects the promise with an AbortError (as Node's timers/promises do) and releases the signal */
  signal?: AbortSignal;
}

// setTimeout's largest delay (Node warns and uses 1 ms beyond it).
const TIMEOUT_MAX = 0x7fff_ffff;

/** A watch that waits, or lingers until the end of the turn for the next wait. */
class Watch {
  readonly key: string;
  readonly watcher: SignalWatcher;
  /** signals that arrived with nobody waiting, oldest first */
  readonly queue: SignalInfo[] = [];
  waiting: ((info: SignalInfo) => void) | null = null;
  release: NodeJS.Immediate | null = null;

  constructor(key: string, signals: Array<SignalName | number>, options: WatchOptions) {
    this.key = key;
    this.watcher = watchSignals(signals, (info) => (this.waiting !== null ? this.waiting(info) : this.queue.push(info)), options);
  }
}

/** Watches settled in this turn of the event loop, by signal set: the next wait for the same set takes one. */
const lingering = new Map<string, Watch[]>();

function keyOf(signals: Array<SignalName | number>, options: WatchOptions): string {
  const signos = [...new Set(toSignalNumbers(signals, 'signals'))].sort((a, b) => a - b);
  return `${signos.join(',')}${options.allowInspectorSignal ? '+inspector' : ''}`;
}

function take(key: string): Watch | undefined {
  const watches = lingering.get(key);
  const watch = watches?.pop();
  if (watches?.length === 0) lingering.delete(key);
  if (watch?.release) clearImmediate(watch.release);
  return watch;
}

function linger(watch: Watch): void {
  const watches = lingering.get(watch.key) ?? [];
  watches.push(watch);
  lingering.set(watch.key, watches);
  watch.release = setImmediate(() => {
    const left = lingering.get(watch.key)?.filter((other) => other !== watch) ?? [];
    if (left.length > 0) lingering.set(watch.key, left);
    else lingering.delete(watch.key);
    watch.watcher.close();
  });
}

function checkOptions(options: WaitForSignalOptions): { timeout: number | undefined; signal: AbortSignal | undefined } {
  checkKnownOptions(options, ['timeout', 'signal', 'allowInspectorSignal']);
  const { timeout, signal, allowInspectorSignal } = options;
  if (allowInspectorSignal !== undefined && typeof allowInspectorSignal !== 'boolean') {
    throw invalidArgType('options.allowInspectorSignal', 'of type boolean', allowInspectorSignal);
  }
  if (timeout !== undefined) {
    if (typeof timeout !== 'number') throw invalidArgType('options.timeout', 'of type number', timeout);
    if (!(timeout >= 0 && timeout <= TIMEOUT_MAX)) throw outOfRange('options.timeout', `a number of milliseconds from 0 to ${TIMEOUT_MAX}`, timeout);
  }
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return { timeout, signal };
}

/**
 * Resolves with the next of `signals` to arrive (its siginfo), or null after `timeout` ms. Rejects with an
 * AbortError when `signal` aborts, and for bad arguments (the refusals of watchSignals included).
 * It keeps the process alive while it waits. A wait for the same signals started in the turn of the event loop in
 * which the previous one settled takes over its watch, with every signal that arrived meanwhile; otherwise the
 * signal has the disposition it had before (for most signals the default action, which ends the process) until
 * the next wait.
 * @param signals - the signals to wait for, by name or number
 * @param options - a timeout, an AbortSignal, and allowing SIGUSR1
 * @returns a promise of the signal's info, or null when the timeout passed first
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`): the promise rejects with it when `options` or one of its fields, or `signals`, has the wrong type
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`): the promise rejects with it when a name is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`): the promise rejects with it when `timeout` is not from 0 to 2^31 - 1, `signals` is empty, or a signal cannot be watched (as {@link watchSignals})
 * @throws `AbortError` (`ABORT_ERR`): the promise rejects with it when `options.signal` aborts; its `cause` is the signal's reason
 * @group Signals
 * @example
 * ```ts
 * import { sendSignal, waitForSignal } from 'memprobe';
 *
 * setTimeout(() => sendSignal(process.pid, 'SIGRTMIN+1', { value: 42 }), 10);
 * waitForSignal(['SIGRTMIN+1'], { timeout: 5_000 }).then((info) => {
 *   console.log(info?.signal, info?.code, info?.value);  // SIGRTMIN+1 SI_QUEUE 42
 * });
 * ```
 */
export async function waitForSignal(signals: Array<SignalName | number>, options: WaitForSignalOptions = {}): Promise<SignalInfo | null> {
  const { timeout, signal } = checkOptions(options);
  const watchOptions: WatchOptions = options.allowInspectorSignal === undefined ? {} : { allowInspectorSignal: options.allowInspectorSignal };
  const key = keyOf(signals, watchOptions);
  if (signal?.aborted) throw abortError(signal.reason);
  const watch = take(key) ?? new Watch(key, signals, watchOptions);
  const queued = watch.queue.shift();
  if (queued !== undefined) {
    linger(watch);
    return queued;
  }
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (done: () => void, releaseNow: boolean): void => {
      settled = true;
      watch.waiting = null;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // A lingering watch stays ref'd until its release at the end of the turn (close() unrefs it), which the
      // setImmediate keeps alive anyway: a wait that takes it over then costs no unref/ref pair of native calls.
      if (releaseNow) watch.watcher.close();
      else linger(watch);
      done();
    };
    const onAbort = (): void => settle(() => reject(abortError(signal?.reason)), true);
    watch.waiting = (info) => settle(() => resolve(info), false);
    watch.watcher.ref();
    // A zero (or any expired) timeout is a poll, as sigtimedwait's: a signal that was pending or already taken
    // by the dedicated thread when the time ran out wins over null. The timer fires before the poll phase in which
    // the thread's wake-up would hand it over, so it is asked for here.
    const expire = (): void => {
      deliverPendingSignals();
      if (!settled) settle(() => resolve(null), false);
    };
    if (timeout !== undefined) timer = setTimeout(expire, timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
