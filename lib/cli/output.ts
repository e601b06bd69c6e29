// What every `memprobe` command shares: its shape in the command table, argument parsing, plain-text tables and
// JSON with addresses in hex.
import type { ParseArgsConfig } from 'node:util';

import { SystemError } from '../common/errors';
import { formatAddress } from '../common/format';
import { readMaps, type MapEntry } from '../probe/probe';
import { parseAddress as resolveAddress } from '../symbols';
import { lookupSignal, SIGRTMAX } from '../signals/names';

/** @internal */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;
/** @internal */
export type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** @internal Where a command writes besides stdout, and whether it may draw a progress bar there. */
export interface CommandContext {
  err: NodeJS.WritableStream;
  /** stderr is a terminal and neither --json nor --quiet was given: long work may show a progress line */
  progress: boolean;
  /** aborted on Ctrl-C while an interruptible command runs: it stops early and reports what it did */
  signal: AbortSignal;
}

/** @internal */
export interface Command {
  /** e.g. 'threads [--pid N] [--json]' */
  usage: string;
  summary: string;
  /** more lines for --help: what the options mean */
  help?: string;
  /** command lines (without `memprobe `) shown at the end of --help */
  examples?: string[];
  options: CommandOptions;
  /** how many positional arguments it takes at most */
  positionals?: number;
  /** how many it needs at least */
  requiredPositionals?: number;
  /** Ctrl-C aborts context.signal (the command stops early and reports) instead of ending the process */
  interruptible?: boolean;
  /** writes its output; returns the exit status (0 success, 1 failure of what it checked) */
  run(values: ParsedValues, positionals: string[], out: NodeJS.WritableStream, context: CommandContext): number | Promise<number>;
}

/** @internal A command's bad argument: exit status 2 with the usage, like an unknown flag. */
export class UsageError extends Error {}

/** @internal A process or thread id typed by a person: `what` is '--pid', '--thread' or 'the pid'. */
export function parsePid(value: ParsedValues[string], what: string): number {
  const pid = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || pid <= 0 || pid > 0x7fffffff) {
    throw new UsageError(`${subject(what)} must be a ${what === '--thread' ? 'thread' : 'process'} id (1 to 2147483647). Received '${String(value)}'`);
  }
  return pid;
}

/** @internal */
export function pidOption(value: ParsedValues[string]): number | undefined {
  return value === undefined ? undefined : parsePid(value, '--pid');
}

/** @internal --quiet: no progress line, for commands that draw one. */
export const QUIET_OPTION: CommandOptions = { quiet: { type: 'boolean', short: 'q' } };

/** @internal --color=auto|always|never, for commands that color their output. */
export const COLOR_OPTION: CommandOptions = { color: { type: 'string' } };

/**
 * @internal Whether to color `out`: --color always/never decides; with auto (the default) FORCE_COLOR decides when
 * set ('0' and 'false' mean no), then NO_COLOR (set and not empty means no), then whether `out` is a terminal: the
 * order of Node's own tty.getColorDepth.
 */
export function colorWanted(value: ParsedValues[string], out: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (value !== undefined && value !== 'auto' && value !== 'always' && value !== 'never') {
    throw new UsageError(`The "--color" option must be one of auto, always, never. Received '${String(value)}'`);
  }
  if (value === 'always' || value === 'never') return value === 'always';
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return (out as NodeJS.WriteStream).isTTY === true;
}

/** @internal The options of a command that looks at a process: which one, named, never implied. */
export const TARGET_OPTIONS: CommandOptions = { pid: { type: 'string' }, self: { type: 'boolean' } };

/** @internal Usage and help lines for TARGET_OPTIONS. */
export const TARGET_USAGE = '--pid N | --self';
/** @internal */
export const TARGET_HELP = [
  ['--pid N', 'the process to look at (read through process_vm_readv)'],
  ['--self', "this command's own short-lived process (its layout is new every run)"],
];

/**
 * @internal The process a command looks at: `--pid N`, or `--self` for the command's own process (undefined). Each
 * run of the command is a new process with a new layout, so an address taken from one run means nothing in the
 * next: the target is never implied.
 */
export function targetOf(values: ParsedValues): number | undefined {
  const pid = pidOption(values.pid);
  if (values.self === true && pid !== undefined) throw new UsageError('--pid and --self name two processes: give one');
  if (values.self !== true && pid === undefined) throw new UsageError("which process? --pid N for another process, --self for this command's own");
  return pid;
}

/** @internal Columns padded to their widest cell, the last one left ragged (no spaces after an empty one). */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const ADDRESS_MAX = (1n << 64n) - 1n;

/** `--start` for options, `the address` for positionals: the subject of a message in the library's shape. */
function subject(what: string): string {
  return what.startsWith('--') ? `The "${what}" option` : `The ${what.replace(/^the /, '')}`;
}

const NUMBER = /^(0x[0-9a-f]+|[0-9a-f]+)$/i;
const LEADING_NUMBER = /^\s*([0-9a-f]+)(?=\s*[+-])/i;
/** A leading minus before a number: '-5', '- 0x10', '-7f3a'. */
const NEGATIVE = /^\s*-\s*(0x)?[0-9a-f]/i;

/** A number as the command takes it: bare hex when it has a letter a-f or a leading zero, else decimal. */
function numberOf(text: string): bigint {
  const hex = /^0x/i.test(text) || /[a-f]/i.test(text) || (text.length > 1 && text.startsWith('0'));
  return BigInt(hex && !/^0x/i.test(text) ? `0x${text}` : text);
}

/**
 * @internal An address typed by a person, in `target` (a pid, or undefined for this process). Numbers as the
 * command has always taken them: `0x…` hex; hex without the prefix when it has a letter a-f or a leading zero (as
 * /proc/<pid>/maps prints addresses: at least 8 digits, zero-padded); otherwise decimal. Anything else is an
 * address expression of the target ('libc.so.6!malloc+8', 'libc.so.6+0x1f00', '!cafe' for a symbol named like
 * hex), resolved by the library: a name it cannot find is bad usage, a process it cannot read a failed system call.
 * A number that starts an expression is read the same way ('7f3a1c2e4000+0x10'). A leading minus is refused as
 * what it is, a negative number, not looked up as a name. With `err`, a bare all-digit number that the rule reads
 * as decimal but that names a mapping of the target only as hex gets one note line there (decimalTrapNote): the
 * rule stands, the output and exit status are the same, the person learns what to type.
 */
export function parseAddress(text: string | undefined, what: string, target: number | undefined, err?: NodeJS.WritableStream): bigint {
  if (text === undefined || text.trim() === '') {
    throw new UsageError(`${subject(what)} must be an address (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received '${String(text)}'`);
  }
  // The expression syntax has no sign before its first term: without this, '-5' would be looked up as a name.
  if (NEGATIVE.test(text)) {
    throw new UsageError(`${subject(what)} must be an address, 0 or more: a negative number is none (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received '${text}'`);
  }
  if (!NUMBER.test(text)) {
    // The library reads '7f3a1c2e4000' as a name: give it the number this command means.
    const expression = text.replace(LEADING_NUMBER, (term: string) => `0x${numberOf(term.trim()).toString(16)}`);
    return parseExpression(expression, text, what, target);
  }
  const address = numberOf(text);
  if (address > ADDRESS_MAX) throw new UsageError(`${subject(what)} must be at most 0xffffffffffffffff. Received '${text}'`);
  if (err !== undefined) {
    const note = decimalTrapNote(text, address, target);
    if (note !== null) err.write(note);
  }
  return address;
}

/**
 * @internal The note for the one way the bare-number rule misleads: an all-digit number of 8 or more digits (as
 * long as the maps' zero-padded addresses, which someone may have copied from them) is read as decimal, as the rule
 * says, but only its hex reading lies in a mapping of the target. Null otherwise, and when the maps cannot be read
 * (the command itself then says why, if it needs them).
 */
export function decimalTrapNote(text: string, address: bigint, target: number | undefined): string | null {
  if (!/^\d{8,}$/.test(text) || text.startsWith('0')) return null;
  const asHex = BigInt(`0x${text}`);
  let maps: MapEntry[];
  try {
    maps = readMaps(target);
  } catch {
    return null;
  }
  const holding = (at: bigint): MapEntry | undefined => maps.find((entry) => entry.start <= at && at < entry.end);
  const hexMapping = holding(asHex);
  if (hexMapping === undefined || holding(address) !== undefined) return null;
  const where = hexMapping.path === '' ? `an anonymous mapping at ${formatAddress(hexMapping.start)}` : hexMapping.path;
  return `memprobe: note: ${text} is read as decimal (0x${address.toString(16)}, in no mapping); 0x${text} is in ${where}: write 0x${text} for that one\n`;
}

/** An address expression resolved in the target; the library's refusal said as the command's, naming the argument. */
function parseExpression(expression: string, text: string, what: string, target: number | undefined): bigint {
  try {
    return resolveAddress(expression, target === undefined ? undefined : { pid: target });
  } catch (error) {
    if (error instanceof SystemError) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_')) throw error;
    const message = (error as Error).message.split('\n')[0].replace(/^The "expression" argument/, subject(what)).replace(`'${expression}'`, `'${text}'`);
    throw new UsageError(message.includes(`'${text}'`) ? message : `${message} (from '${text}')`);
  }
}

/** @internal A count typed by a person: decimal or 0x… hex, from `min` to `max`. */
export function parseCount(text: string | undefined, what: string, min: number, max: number): number {
  const value = text !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer >= ${min}`) : `an integer from ${min} to ${max}`;
  throw new UsageError(`${subject(what)} must be ${range}. Received ${String(text)}`);
}

/**
 * @internal A signal typed by a person: a name with or without SIG, in any case (SIGUSR2, usr2, RTMIN+1, CLD), or a
 * number from 1 (0 with `allowZero`, kill's existence check) to SIGRTMAX.
 */
export function parseSignal(text: string, what: string, allowZero = false): number {
  if (/^\d+$/.test(text)) {
    const signo = Number(text);
    if (signo >= (allowZero ? 0 : 1) && signo <= SIGRTMAX) return signo;
    throw new UsageError(`${subject(what)} must be a signal number from ${allowZero ? 0 : 1} to ${SIGRTMAX}. Received ${text}`);
  }
  const upper = text.toUpperCase();
  const signo = lookupSignal(upper.startsWith('SIG') ? upper : `SIG${upper}`);
  if (signo === undefined) throw new UsageError(`${subject(what)} must be a signal name (SIGUSR2 or USR2, SIGRTMIN+1) or number. Received '${text}'`);
  return signo;
}

/** Where a line's text starts after an option's name in a table ('  --x N  text'): that prefix, or the indent. */
function hangingOf(line: string): string {
  return /^(\s*(?:\S+(?: \S+)*?\s{2,})?)/.exec(line)?.[1] ?? '';
}

/**
 * The lines of `text` with each one that continues an option's description (indented exactly to the description
 * column of the option line before it) joined to that line: a description broken by hand in the source would
 * otherwise keep its break at every width, beside the breaks wrapping makes ("auto colors a⏎terminal").
 */
function joinContinuations(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const previous = lines[lines.length - 1];
    const hanging = previous === undefined ? '' : hangingOf(previous);
    const optionRow = hanging.trim() !== '';
    if (optionRow && line.length > hanging.length && line.startsWith(' '.repeat(hanging.length)) && line[hanging.length] !== ' ') {
      lines[lines.length - 1] = `${previous.trimEnd()} ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }
  return lines;
}

/**
 * @internal Text wrapped to `width` columns at spaces, never inside a word; a line that starts with spaces (an
 * option's description in a table) continues under its description column, and a source line indented to that
 * column is taken as part of the description above it.
 */
export function wrap(text: string, width: number): string {
  return joinContinuations(text)
    .map((line) => {
      if (line.length <= width) return line;
      const hanging = hangingOf(line);
      const indent = ' '.repeat(hanging.length >= width / 2 ? 4 : hanging.length);
      const words = line.slice(hanging.length).split(' ');
      const lines: string[] = [];
      let current = hanging;
      for (const word of words) {
        if (current.trim() !== '' && current.length + 1 + word.length > width && current.length > indent.length) {
          lines.push(current.trimEnd());
          current = indent + word;
        } else {
          current += current === hanging || current === indent ? word : ` ${word}`;
        }
      }
      lines.push(current.trimEnd());
      return lines.join('\n');
    })
    .join('\n');
}

/** @internal An offset (from a module's base, from a symbol) in hex as the text forms write it: 0x10, never padded. */
export function formatOffset(offset: bigint): string {
  return `0x${offset.toString(16)}`;
}

/** @internal JSON with bigints as formatAddress strings: a command turns its offsets into formatOffset's first. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? formatAddress(item) : item), 2) + '\n';
}
