#!/usr/bin/env node
// The `memprobe` command (package.json "bin"): lib/cli/main.ts run with this process's streams and arguments.
import { once } from 'node:events';

import { main } from './cli/main';
import { binding } from './common/native';

/**
 * Ends the process with `status` once stdout and stderr hold nothing unwritten, at once (_exit), without the
 * event loop running dry first: there Node 20 can hang for good (native/binding/exit_binding.cc says why).
 */
async function exitWhenWritten(status: number): Promise<never> {
  const streams = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  await Promise.all(streams.map((stream) => once(stream, 'drain')));
  return binding.exitNow(status);
}

// A reader that stops early (`| head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  binding.exitNow(Number(process.exitCode ?? 0));
});
main(process.argv.slice(2), process.stdout, process.stderr, { catchInterrupt: true }).then(exitWhenWritten);
