// The guard's state, and keeping it the owner of SIGSEGV/SIGBUS. Whoever installs a handler over it without
// chaining (a `process.on('SIGSEGV')` listener through libuv, segfault-handler's registerHandler, any native
// addon calling sigaction) would turn the next guarded fault into a crash, so the guard takes the signal back
// (the displacer then runs for faults that are not ours) at these moments:
//   - right after Node changes the disposition for a process listener ('newListener' / 'removeListener');
//   - right after every native addon loads (process.dlopen), and after every segfault-handler registerHandler();
//   - natively, at the first synchronous guarded call of each event-loop turn, in every environment
//     (native/binding/guard_ownership.h), and before each asynchronous guarded job on the threadpool.
// Each check is two sigaction queries. What remains: a handler installed natively by a function call (not at load
// time) that does not chain, after a guarded call of the same turn, is not yet noticed by a guarded call later
// in that turn. No timer: between guarded calls a displaced guard changes nothing (a fault that is not ours goes
// to the newcomer, as it would without memprobe), and every guarded call checks first.
import * as path from 'node:path';

import { binding } from '../common/native';

/**
 * What {@link guardStatus} reports.
 * @group Memory, pages and the guard
 */
export interface GuardStatus {
  /** the guard's handler is installed for both SIGSEGV and SIGBUS right now */
  installed: boolean;
  /** what faults that are not ours go to: 'default', 'ignore', 'node-wasm-trap', 'segfault-handler' or 'handler <symbol or address>' */
  previous: {
    /** where SIGSEGV faults that are not ours go */
    SIGSEGV: string;
    /** where SIGBUS faults that are not ours go */
    SIGBUS: string;
  };
  /** how many times the guard took a signal back from a handler installed over it */
  reasserted: number;
}

/**
 * The fault guard's state: whether its handler is in place, what it chains to, and how often it took a signal back.
 * @returns the state now
 * @group Memory, pages and the guard
 * @example
 * ```ts
 * import { guardStatus } from 'memprobe';
 *
 * console.log(guardStatus().installed, guardStatus().previous.SIGSEGV);  // true node-wasm-trap
 * ```
 */
export function guardStatus(): GuardStatus {
  return binding.guardStatus();
}

// One set of hooks per process object, however many copies of this module are loaded (jest, cleared caches).
const HOOKED = Symbol.for('memprobe.guard.hooked');
const WRAPPED = Symbol.for('memprobe.guard.wrapped');

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;
type RegisterHandler = (...args: unknown[]) => void;

function reassert(): void {
  binding.reassertGuard();
}

function reassertOnFaultSignalListener(event: string | symbol): void {
  // libuv changes the disposition synchronously inside Node's own (earlier) newListener/removeListener hook.
  if (event === 'SIGSEGV' || event === 'SIGBUS') reassert();
}

/** segfault-handler's registerHandler() installs its handler with a plain sigaction: take the signal back after it. */
function wrapSegfaultHandler(exports: unknown, filename: string): void {
  if (path.basename(filename) !== 'segfault-handler.node' || exports === null || typeof exports !== 'object') return;
  const target = exports as { registerHandler?: RegisterHandler; [WRAPPED]?: true };
  const register = target.registerHandler;
  if (typeof register !== 'function' || target[WRAPPED]) return;
  target.registerHandler = function registerHandler(this: unknown, ...args: unknown[]): void {
    try {
      register.apply(this, args);
    } finally {
      reassert();
    }
  };
  Object.defineProperty(target, WRAPPED, { value: true });
}

/** An addon may install a handler while it loads: check after every process.dlopen. */
function wrapDlopen(): void {
  const dlopen = process.dlopen as Dlopen;
  process.dlopen = function memprobeCheckedDlopen(this: unknown, module: { exports: unknown }, filename: string, flags?: number): void {
    try {
      Reflect.apply(dlopen, this, flags === undefined ? [module, filename] : [module, filename, flags]);
    } finally {
      reassert();
    }
    wrapSegfaultHandler(module.exports, filename);
  } as typeof process.dlopen;
}

/** @internal */
export function keepGuardOnTop(): void {
  const owner = process as NodeJS.Process & { [HOOKED]?: true };
  if (owner[HOOKED]) return;
  Object.defineProperty(owner, HOOKED, { value: true });
  process.on('newListener', reassertOnFaultSignalListener);
  process.on('removeListener', reassertOnFaultSignalListener);
  wrapDlopen();
  // segfault-handler loaded before memprobe.
  for (const [filename, module] of Object.entries(require.cache)) {
    if (module !== undefined) wrapSegfaultHandler(module.exports, filename);
  }
}
