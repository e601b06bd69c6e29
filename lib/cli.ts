#!/usr/bin/env node
// The `memprobe` command. Each subcommand is one entry of COMMANDS (lib/cli-output.ts says what an entry
// holds); flags are parsed strictly, so an unknown command or flag exits with status 2 and the usage.
// Exit status: 0 success, 1 when what a command checked failed (or a system call did), 2 bad usage.
import { parseArgs } from 'node:util';

import { type Command, UsageError } from './cli-output';
import { maskingDemoCommand, threadsCommand } from './cli-signals';

export const COMMANDS: Record<string, Command> = {
  threads: threadsCommand,
  'masking-demo': maskingDemoCommand,
};

export function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((command) => command.usage.length));
  const lines = Object.values(COMMANDS).map((command) => `  memprobe ${command.usage.padEnd(width)}  ${command.summary}`);
  return `usage:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    out.write(usage());
    return 0;
  }
  const command = name === undefined ? undefined : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    err.write(`${name === undefined ? 'memprobe: a command is required' : `memprobe: unknown command '${name}'`}\n${usage()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: (command.positionals ?? 0) > 0, strict: true });
    if (positionals.length > (command.positionals ?? 0)) throw new UsageError(`too many arguments`);
    return await command.run(values, positionals, out);
  } catch (error) {
    const usageError = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    err.write(`memprobe ${name}: ${(error as Error).message}\n${usageError ? `usage: memprobe ${command.usage}\n` : ''}`);
    return usageError ? 2 : 1;
  }
}

if (require.main === module) {
  // A reader that stops early (`| head`) is not an error of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
