// The `memprobe` command. Each subcommand is one entry of COMMANDS (lib/cli/output.ts says what an entry
// holds); flags are parsed strictly, so an unknown command or flag exits with status 2 and one line on stderr.
// Exit status: 0 success, 1 when what a command checked failed (or a system call did), 2 bad usage.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { type Command, type CommandContext, type CommandOptions, type ParsedValues, UsageError, wrap } from './output';
import { scanMemoryCommand } from './inspect';
import { fuzzCommand, mapsCommand, probeCommand, readCommand, scanCommand } from './probe';
import { maskingDemoCommand, threadsCommand } from './signals';
import { sendCommand } from './send';
import { modulesCommand, symbolizeCommand } from './symbols';
import { watchCommand } from './watch';

/** @internal */
export const COMMANDS: Record<string, Command> = {
  fuzz: fuzzCommand,
  scan: scanCommand,
  'scan-memory': scanMemoryCommand,
  probe: probeCommand,
  read: readCommand,
  maps: mapsCommand,
  modules: modulesCommand,
  symbolize: symbolizeCommand,
  threads: threadsCommand,
  'masking-demo': maskingDemoCommand,
  watch: watchCommand,
  send: sendCommand,
};

/** The width help is wrapped to: the terminal's, or 80 when stdout is not one. */
function widthOf(out: NodeJS.WritableStream): number {
  const columns = (out as NodeJS.WriteStream).isTTY === true ? (out as NodeJS.WriteStream).columns : undefined;
  return Math.max(40, columns ?? 80);
}

/** @internal Every command, one line each. */
export function usage(width = 80): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(13)}  ${command.summary}`);
  return wrap(
    [
      'usage: memprobe <command> [options]',
      '',
      'commands:',
      ...lines,
      '',
      'memprobe help <command> (or memprobe <command> --help) says what a command takes, with examples;',
      'memprobe -V (--version) prints the version.',
      '',
      'Addresses: 0x… hex; bare hex when it has a letter a-f or a leading zero (as /proc/<pid>/maps prints them); ' +
        'decimal; or an expression in the target process: a module (its base), a symbol or module!symbol, with + or - ' +
        "an offset: libc.so.6+0x1f00, 'libc.so.6!malloc+8', malloc; !name for a symbol whose name looks like hex. " +
        'Plain digits are decimal even when copied from the maps: where 8 or more of them name a mapping of the ' +
        'target only as hex, a note on stderr says so (write 0x… for that).',
    ].join('\n'),
    width,
  ) + '\n';
}

/** @internal */
export function commandHelp(command: Command, width = 80): string {
  const parts = [`usage: memprobe ${command.usage}`, '', command.summary];
  if (command.help) parts.push('', command.help);
  if (command.examples?.length) parts.push('', 'examples:', ...command.examples.map((example) => `  $ memprobe ${example}`));
  return wrap(parts.join('\n'), width) + '\n';
}

/**
 * parseArgs reads `-5` as an option. A token that is a negative number is a value here (of the string option
 * before it, or a positional), so it is hidden from parseArgs and given back afterwards: the command then refuses
 * it in its own words ("must be a non-negative integer. Received -5") instead of parseArgs' "ambiguous".
 */
const NEGATIVE = /^-\d/;
const HIDDEN = '\u0000';

function hideNegatives(args: string[], options: CommandOptions): string[] {
  const result: string[] = [];
  for (const arg of args) {
    const before = result[result.length - 1];
    const option = before?.startsWith('--') && !before.includes('=') ? options[before.slice(2)] : undefined;
    if (!NEGATIVE.test(arg)) result.push(arg);
    else if (option?.type === 'string') result[result.length - 1] = `${before}=${arg}`;  // --name=-5, as it is
    else result.push(HIDDEN + arg);  // a positional
  }
  return result;
}

function reveal(value: string): string {
  return value.startsWith(HIDDEN) ? value.slice(HIDDEN.length) : value;
}

function version(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** @internal */
export interface MainOptions {
  /** whether stderr is a terminal (a progress bar may be drawn); default: process.stderr.isTTY */
  terminal?: boolean;
  /** let Ctrl-C abort an interruptible command (a second Ctrl-C ends the process as usual) */
  catchInterrupt?: boolean;
}

/** @internal */
export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr, options: MainOptions = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    out.write(usage(widthOf(out)));
    return 0;
  }
  if (name === '--version' || name === '-V') {
    out.write(`${version()}\n`);
    return 0;
  }
  if (name === 'help') {
    if (rest.length === 0) {
      out.write(usage(widthOf(out)));
      return 0;
    }
    return main([rest[0], '--help', ...rest.slice(1)], out, err, options);
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    err.write(`memprobe: unknown command '${name}' (usage: memprobe <command> …; memprobe --help lists them)\n`);
    return 2;
  }
  try {
    const parsed = parseArgs({
      args: hideNegatives(rest, command.options),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: (command.positionals ?? 0) > 0,
      strict: true,
    });
    const values = parsed.values as ParsedValues;
    const positionals = parsed.positionals.map(reveal);
    if (values.help) {
      out.write(commandHelp(command, widthOf(out)));
      return 0;
    }
    if (positionals.length > (command.positionals ?? 0)) throw new UsageError('too many arguments');
    if (positionals.length < (command.requiredPositionals ?? 0)) throw new UsageError('missing arguments');
    const interrupt = new AbortController();
    const onInterrupt = (): void => interrupt.abort();
    if (command.interruptible && options.catchInterrupt) process.once('SIGINT', onInterrupt);
    const terminal = options.terminal ?? (err as NodeJS.WriteStream).isTTY === true;
    const context: CommandContext = { err, progress: terminal && values.json !== true && values.quiet !== true, signal: interrupt.signal };
    try {
      return await command.run(values, positionals, out, context);
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
  } catch (error) {
    const usageError = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = (error as Error).message.split('\n')[0];
    err.write(`memprobe ${name}: ${message}${usageError ? ` (usage: memprobe ${command.usage})` : ''}\n`);
    return usageError ? 2 : 1;
  }
}
