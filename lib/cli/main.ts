// The `memprobe` command. Each subcommand is one entry of COMMANDS (lib/cli/output.ts says what an entry
// holds); flags are parsed strictly, so an unknown command or flag exits with status 2 and one line on stderr.
// Exit status: 0 success, 1 when what a command checked failed (or a system call did), 2 bad usage.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { type Command, type CommandContext, UsageError } from './output';
import { scanMemoryCommand } from './inspect';
import { fuzzCommand, mapsCommand, probeCommand, readCommand, scanCommand } from './probe';
import { maskingDemoCommand, threadsCommand } from './signals';

/** @internal */
export const COMMANDS: Record<string, Command> = {
  fuzz: fuzzCommand,
  scan: scanCommand,
  'scan-memory': scanMemoryCommand,
  probe: probeCommand,
  read: readCommand,
  maps: mapsCommand,
  threads: threadsCommand,
  'masking-demo': maskingDemoCommand,
};

/** @internal */
export function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((command) => command.usage.length));
  const lines = Object.values(COMMANDS).map((command) => `  memprobe ${command.usage.padEnd(width)}  ${command.summary}`);
  return `usage:\n${lines.join('\n')}\n  memprobe --version\nEvery command takes --help. Addresses: 0x… hex or decimal.\n`;
}

function commandHelp(command: Command): string {
  return `usage: memprobe ${command.usage}\n${command.summary}\n${command.help ? command.help + '\n' : ''}`;
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
  if (name === '--help' || name === '-h' || name === 'help') {
    out.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    out.write(`${version()}\n`);
    return 0;
  }
  const command = name === undefined ? undefined : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    err.write(`${name === undefined ? 'memprobe: a command is required' : `memprobe: unknown command '${name}'`} (usage: memprobe <command> …; memprobe --help lists them)\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: (command.positionals ?? 0) > 0,
      strict: true,
    });
    if (values.help) {
      out.write(commandHelp(command));
      return 0;
    }
    if (positionals.length > (command.positionals ?? 0)) throw new UsageError('too many arguments');
    if (positionals.length < (command.requiredPositionals ?? 0)) throw new UsageError('missing arguments');
    const interrupt = new AbortController();
    const onInterrupt = (): void => interrupt.abort();
    if (command.interruptible && options.catchInterrupt) process.once('SIGINT', onInterrupt);
    const context: CommandContext = { err, progress: options.terminal ?? (err as NodeJS.WriteStream).isTTY === true, signal: interrupt.signal };
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
