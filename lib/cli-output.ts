// What every `memprobe` command shares: its shape in the command table and plain-text tables.
import type { ParseArgsConfig } from 'node:util';

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface Command {
  /** e.g. 'threads [--pid N] [--json]' */
  usage: string;
  summary: string;
  options: CommandOptions;
  /** how many positional arguments it takes at most */
  positionals?: number;
  /** writes its output; returns the exit status (0 success, 1 failure of what it checked) */
  run(values: ParsedValues, positionals: string[], out: NodeJS.WritableStream): number | Promise<number>;
}

/** A command's bad argument: exit status 2 with the usage, like an unknown flag. */
export class UsageError extends Error {}

export function pidOption(value: ParsedValues[string]): number | undefined {
  if (value === undefined) return undefined;
  const pid = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || pid <= 0 || pid > 0x7fffffff) throw new UsageError(`--pid must be a process id, not '${String(value)}'`);
  return pid;
}

/** Columns padded to their widest cell, the last one left ragged. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
