// Runs a script in a fresh Node process, for anything that can end the process (a real crash, a signal with
// its default action). The script sees the built package as `memprobe` (npm test builds it first).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const PACKAGE_ROOT = path.join(__dirname, '..', '..');

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
  const run = spawnSync(options.execPath ?? process.execPath, [...(options.nodeArgs ?? []), '-e', prelude + script], {
    encoding: 'utf8',
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 30_000,
  });
  if (run.error) throw run.error;
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}
