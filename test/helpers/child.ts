// Runs a script in a fresh Node process, for anything that can end the process (a real crash, a signal with
// its default action). The script sees the built package as `memprobe` (npm test builds it first).
//
// MEMPROBE_TEST_EMULATOR (words split on spaces, such as "qemu-aarch64 -L /usr/aarch64-linux-gnu") is put before
// every Node or native program the tests start: where the tests themselves run under qemu-user, the kernel cannot
// run the guest architecture's binaries on its own (no binfmt_misc), so every child goes through the emulator too.
import {
  spawn,
  spawnSync,
  type ChildProcess,
  type ChildProcessByStdio,
  type ChildProcessWithoutNullStreams,
  type SpawnOptions,
  type SpawnOptionsWithoutStdio,
  type SpawnOptionsWithStdioTuple,
  type SpawnSyncOptionsWithStringEncoding,
  type SpawnSyncReturns,
  type StdioNull,
  type StdioPipe,
} from 'node:child_process';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const PACKAGE_ROOT = path.join(__dirname, '..', '..');

/** The emulator command the tests run under (empty when they run natively). */
export const EMULATOR: readonly string[] = (process.env.MEMPROBE_TEST_EMULATOR ?? '').split(' ').filter((word) => word !== '');

/** The command line that runs `file` (a program of the tests' architecture) with `args`: through the emulator where one is set. */
export function commandFor(file: string, args: readonly string[] = []): [string, string[]] {
  return EMULATOR.length === 0 ? [file, [...args]] : [EMULATOR[0], [...EMULATOR.slice(1), file, ...args]];
}

/** spawnSync of the Node that runs the tests (through the emulator where one is set). */
export function spawnNodeSync(args: readonly string[], options: SpawnSyncOptionsWithStringEncoding): SpawnSyncReturns<string> {
  const [file, fullArgs] = commandFor(process.execPath, args);
  const run = spawnSync(file, fullArgs, options);
  return run.stderr === null ? run : { ...run, stderr: withoutEmulatorNotes(run.stderr) };
}

/**
 * A child's stderr without the line qemu-user adds when the program it runs dies by a signal ("qemu: uncaught
 * target signal 11 (Segmentation fault) - core dumped"): the emulator's, not the program's output.
 */
export function withoutEmulatorNotes(stderr: string): string {
  return EMULATOR.length === 0 ? stderr : stderr.replace(/^qemu: uncaught target signal \d+ \([^)]*\) - core dumped\n/gm, '');
}

/** spawn of the Node that runs the tests (through the emulator where one is set), typed as `spawn` types it. */
export function spawnNode(args: readonly string[], options?: SpawnOptionsWithoutStdio): ChildProcessWithoutNullStreams;
export function spawnNode<In extends StdioNull | StdioPipe, Out extends StdioNull | StdioPipe, Err extends StdioNull | StdioPipe>(
  args: readonly string[],
  options: SpawnOptionsWithStdioTuple<In, Out, Err>,
): ChildProcessByStdio<In extends StdioPipe ? Writable : null, Out extends StdioPipe ? Readable : null, Err extends StdioPipe ? Readable : null>;
export function spawnNode(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [file, fullArgs] = commandFor(process.execPath, args);
  return spawn(file, fullArgs, options);
}

/**
 * A JavaScript expression for a child script: the `[file, args]` pair that starts `process.execPath` (the child's own
 * Node) with the arguments the expression `args` evaluates to, through the emulator where one is set.
 */
export function childNodeCommand(args: string): string {
  return EMULATOR.length === 0
    ? `[process.execPath, ${args}]`
    : `[${JSON.stringify(EMULATOR[0])}, [...${JSON.stringify(EMULATOR.slice(1))}, process.execPath, ...${args}]]`;
}

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  /** extra command-line flags for node, before the script */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** start the script with `const memprobe = require(<the package>)` (default true) */
  memprobe?: boolean;
  /** the node binary to run (default: the one running the tests) */
  execPath?: string;
}

export function runChild(script: string, options: ChildOptions = {}): ChildResult {
  const prelude = options.memprobe === false ? '' : `const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});\n`;
  const [file, args] = commandFor(options.execPath ?? process.execPath, [...(options.nodeArgs ?? []), '-e', prelude + script]);
  const run = spawnSync(file, args, {
    encoding: 'utf8',
    env: options.env ?? process.env,
    timeout: childTimeout(options.timeoutMs ?? 30_000),
  });
  if (run.error) throw run.error;
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: withoutEmulatorNotes(run.stderr) };
}

/** A child's time limit: `ms` natively, 20 times as long under the emulator (qemu-user runs Node ~20 times slower). */
export function childTimeout(ms: number): number {
  return EMULATOR.length === 0 ? ms : ms * 20;
}

/** A `[file, args]` command line as one shell command, each word single-quoted. */
export function shellCommand([file, args]: [string, string[]]): string {
  return [file, ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ');
}
