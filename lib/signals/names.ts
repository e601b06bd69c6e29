// Signal names and numbers. Standard names are Node's (os.constants.signals, first name per number); real-time
// signals are named from the C library's SIGRTMIN and SIGRTMAX read at run time, as `kill -l` does:
// SIGRTMIN, SIGRTMIN+1 … SIGRTMIN+15, SIGRTMAX-14 … SIGRTMAX-1, SIGRTMAX (glibc: 34 to 64). The signals the C
// library keeps for itself below its SIGRTMIN are SIG32 and SIG33 (glibc), and SIG34 too under musl (SIGRTMIN 35).
import { constants } from 'node:os';

import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { binding } from '../common/native';

/**
 * Linux's standard signals by name (SIGIOT, SIGPOLL and SIGCLD are other names of SIGABRT, SIGIO and SIGCHLD).
 * @group Signals
 */
export type StandardSignalName =
  | 'SIGHUP' | 'SIGINT' | 'SIGQUIT' | 'SIGILL' | 'SIGTRAP' | 'SIGABRT' | 'SIGIOT' | 'SIGBUS' | 'SIGFPE' | 'SIGKILL'
  | 'SIGUSR1' | 'SIGSEGV' | 'SIGUSR2' | 'SIGPIPE' | 'SIGALRM' | 'SIGTERM' | 'SIGSTKFLT' | 'SIGCHLD' | 'SIGCONT'
  | 'SIGSTOP' | 'SIGTSTP' | 'SIGTTIN' | 'SIGTTOU' | 'SIGURG' | 'SIGXCPU' | 'SIGXFSZ' | 'SIGVTALRM' | 'SIGPROF'
  | 'SIGWINCH' | 'SIGIO' | 'SIGPOLL' | 'SIGPWR' | 'SIGSYS' | 'SIGCLD';

/**
 * Real-time signals, counted from either end as `kill -l` names them: 'SIGRTMIN+3', 'SIGRTMAX-1'.
 * @group Signals
 */
export type RealtimeSignalName = 'SIGRTMIN' | 'SIGRTMAX' | `SIGRTMIN+${number}` | `SIGRTMAX-${number}`;

/**
 * 'SIGUSR2', 'SIGHUP', 'SIGRTMIN', 'SIGRTMIN+3', 'SIGRTMAX-1', …; SIG32 and SIG33 are the C library's own, and so
 * is SIG34 under musl, whose SIGRTMIN is 35.
 * @group Signals
 */
export type SignalName = StandardSignalName | RealtimeSignalName | 'SIG32' | 'SIG33' | 'SIG34';

/** @internal */
export const SIGRTMIN = binding.signalConstants.rtmin;
/** @internal */
export const SIGRTMAX = binding.signalConstants.rtmax;

const NAMES: SignalName[] = [];  // filled from the running system below, which the union above describes
const NUMBERS = new Map<string, number>();

for (const [name, signo] of Object.entries(constants.signals) as Array<[StandardSignalName, number]>) {
  NAMES[signo] ??= name;
  NUMBERS.set(name, signo);
}
// Linux's <signal.h> defines SIGCLD as SIGCHLD (System V's name); Node's table leaves it out.
if (!NUMBERS.has('SIGCLD')) NUMBERS.set('SIGCLD', constants.signals.SIGCHLD);
for (let signo = 1; signo < SIGRTMIN; signo++) {
  if (NAMES[signo] !== undefined) continue;
  NAMES[signo] = `SIG${signo}` as SignalName;
  NUMBERS.set(NAMES[signo], signo);
}
const RT_MIDDLE = SIGRTMIN + ((SIGRTMAX - SIGRTMIN) >> 1);
for (let signo = SIGRTMIN; signo <= SIGRTMAX; signo++) {
  const name: RealtimeSignalName =
    signo === SIGRTMIN ? 'SIGRTMIN' : signo === SIGRTMAX ? 'SIGRTMAX' : signo <= RT_MIDDLE ? `SIGRTMIN+${signo - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - signo}`;
  NAMES[signo] = name;
  NUMBERS.set(name, signo);
}

const RT_FORM = /^SIGRT(MIN|MAX)([+-])(\d{1,2})$/;
const NAME_EXAMPLES = "a signal name such as 'SIGUSR2', 'SIGRTMIN+1' or 'SIGRTMAX-2'";

function numberOfName(name: string, argument: string): number {
  const known = NUMBERS.get(name);
  if (known !== undefined) return known;
  const rt = RT_FORM.exec(name);
  // Any SIGRTMIN+n / SIGRTMAX-n that stays in range, not only the canonical spelling.
  if (rt !== null && (rt[1] === 'MIN') === (rt[2] === '+')) {
    const signo = rt[1] === 'MIN' ? SIGRTMIN + Number(rt[3]) : SIGRTMAX - Number(rt[3]);
    if (signo >= SIGRTMIN && signo <= SIGRTMAX) return signo;
    throw outOfRange(argument, `a real-time signal from SIGRTMIN to SIGRTMAX (${SIGRTMIN} to ${SIGRTMAX} here)`, name);
  }
  throw invalidArgValue(argument, NAME_EXAMPLES, name);
}

/**
 * A signal argument as a number: a name, or an integer from 1 (0 with `allowZero`, the existence check of
 * kill) to SIGRTMAX. TypeError for other types and unknown names, RangeError for numbers out of range.
 * @internal
 */
export function toSignalNumber(value: unknown, argument: string, allowZero = false): number {
  if (typeof value === 'string') return numberOfName(value, argument);
  if (typeof value !== 'number') throw invalidArgType(argument, `${NAME_EXAMPLES}, or a signal number`, value);
  const lowest = allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < lowest || value > SIGRTMAX) {
    throw outOfRange(argument, `a signal number from ${lowest} to ${SIGRTMAX}`, value);
  }
  return value;
}

/** @internal Signal arguments given as an array, each checked as `<argument>[i]`. */
export function toSignalNumbers(values: unknown, argument: string): number[] {
  if (!Array.isArray(values)) throw invalidArgType(argument, 'an array of signal names or numbers', values);
  return values.map((value, index) => toSignalNumber(value, `${argument}[${index}]`));
}

/** @internal The number of a known name (any spelling signalNumber accepts), or undefined. */
export function lookupSignal(name: string): number | undefined {
  try {
    return numberOfName(name, 'name');
  } catch {
    return undefined;
  }
}

/**
 * The number of a signal name: 'SIGUSR2' is 12; real-time names count from the C library's SIGRTMIN and SIGRTMAX
 * read at run time ('SIGRTMIN+1' is 35 with glibc), in any spelling that stays in range ('SIGRTMIN+20' = 'SIGRTMAX-10').
 * @param name - a signal name
 * @returns the signal's number
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `name` is not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `name` is no signal's name
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when a real-time name lies outside SIGRTMIN to SIGRTMAX
 * @group Signals
 */
export function signalNumber(name: SignalName): number {
  if (typeof name !== 'string') throw invalidArgType('name', NAME_EXAMPLES, name);
  return numberOfName(name, 'name');
}

/**
 * The name of a signal number, as `kill -l` prints it: Node's name for standard signals (the first for a number
 * with two), 'SIGRTMIN', 'SIGRTMIN+1' … 'SIGRTMAX-1', 'SIGRTMAX' for real-time ones, 'SIG32' and 'SIG33' (and 'SIG34' under musl).
 * @param signo - a signal number from 1 to SIGRTMAX
 * @returns the signal's name
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `signo` is not a number (or a name)
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `signo` is not an integer from 1 to SIGRTMAX
 * @group Signals
 */
export function signalName(signo: number): SignalName {
  return NAMES[toSignalNumber(signo, 'signo')];
}

/** @internal A kernel signal set (bit n-1 for signal n) as names, lowest number first. */
export function maskToNames(mask: bigint): SignalName[] {
  const names: SignalName[] = [];
  for (let signo = 1; signo <= SIGRTMAX; signo++) {
    if ((mask >> BigInt(signo - 1)) & 1n) names.push(NAMES[signo]);
  }
  return names;
}

/** @internal */
export function numbersToMask(signos: readonly number[]): bigint {
  let mask = 0n;
  for (const signo of signos) mask |= 1n << BigInt(signo - 1);
  return mask;
}
