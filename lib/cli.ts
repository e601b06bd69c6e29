#!/usr/bin/env node
// The `memprobe` command (package.json "bin"): lib/cli/main.ts run with this process's streams and arguments.
import { main } from './cli/main';

// A reader that stops early (`| head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});
main(process.argv.slice(2), process.stdout, process.stderr, { catchInterrupt: true }).then((status) => {
  process.exitCode = status;
});
