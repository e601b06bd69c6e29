// What every `memprobe` command shares: its shape in the command table, argument parsing, plain-text tables and
// JSON with addresses in hex.
import type { ParseArgsConfig } from 'node:util';

import { formatAddress } from '../common/format';

/** @internal */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;
/** @internal */
export type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** @internal Where a command writes besides stdout, and whether it may draw a progress bar there. */
export interface CommandContext {
  err: NodeJS.WritableStream;
  /** stderr is a terminal and no --json: long work may show a progress bar */
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

/** @internal */
export function pidOption(value: ParsedValues[string]): number | undefined {
  if (value === undefined) return undefined;
  const pid = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || pid <= 0 || pid > 0x7fffffff) throw new UsageError(`--pid must be a process id, not '${String(value)}'`);
  return pid;
}

/** @internal Columns padded to their widest cell, the last one left ragged. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const ADDRESS_MAX = (1n << 64n) - 1n;

/** @internal An address typed by a person: 0x… hex or decimal, at most 2^64-1. */
export function parseAddress(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new UsageError(`${what} must be an address (0x… hex or decimal), not '${String(text)}'`);
  const address = BigInt(text);
  if (address > ADDRESS_MAX) throw new UsageError(`${what} must be at most 0xffffffffffffffff, not '${text}'`);
  return address;
}

/** @internal A count typed by a person: hex or decimal, from `min` to `max`. */
export function parseCount(text: string | undefined, what: string, min: number, max: number): number {
  const value = text !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}, not '${String(text)}'`);
  return value;
}

/** @internal JSON with bigints (addresses, offsets) as formatAddress strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? formatAddress(item) : item), 2) + '\n';
}

/** @internal 1536 -> '1.5 KiB' */
export function formatSize(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
