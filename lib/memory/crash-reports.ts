// enableCrashReports: segfault-handler's report for a real crash, chained behind the guard, so the chain is
// the guard → WebAssembly trap handling → segfault-handler's report → the default action. segfault-handler is an
// optional dependency (a NAN addon built from source at install, for one Node version, main thread only):
// where it cannot be loaded, this throws and everything else works.
import * as path from 'node:path';

import { crashReportsUnavailable, invalidArgType, invalidArgValue } from '../common/errors';
import { checkKnownOptions } from '../common/validate';
import { binding } from '../common/native';

/**
 * Options of {@link enableCrashReports}.
 * @group Memory, pages and the guard
 */
export interface CrashReportOptions {
  /** the report file (appended to); default: segfault-handler's `stacktrace-<time>-<pid>.log` in the working directory at the crash */
  path?: string;
}

interface SegfaultHandler {
  registerHandler(path?: string): void;
}

// segfault-handler keeps the path in a 128-byte buffer and silently cuts longer ones.
const MAX_PATH_BYTES = 127;

function reportPath(options: CrashReportOptions | undefined): string | undefined {
  if (options === undefined) return undefined;
  checkKnownOptions(options, ['path']);
  const file = options.path;
  if (file === undefined) return undefined;
  if (typeof file !== 'string') throw invalidArgType('options.path', 'of type string', file);
  if (file.length === 0 || file.includes('\0')) throw invalidArgValue('options.path', 'a non-empty path without null bytes', file);
  // Resolved now: the report is written wherever the working directory is at the crash otherwise.
  const resolved = path.resolve(file);
  if (Buffer.byteLength(resolved) > MAX_PATH_BYTES) {
    throw invalidArgValue('options.path', `a path of at most ${MAX_PATH_BYTES} bytes once resolved (segfault-handler's limit)`, file);
  }
  return resolved;
}

const REBUILD = `run \`npm rebuild segfault-handler\` with the Node that runs this program (${process.execPath}, ${process.version})`;

/**
 * Why `require('segfault-handler')` failed, and what fixes it: each cause has its own remedy. Not installed
 * (omitted, or its build failed and npm removed the optional dependency); installed but its addon never built
 * (its install script did not run: `--ignore-scripts`, or the project's allowScripts denies it); built for
 * another Node (it is a NAN addon, bound to one NODE_MODULE_VERSION); or another load failure.
 * @internal
 */
export function segfaultHandlerUnavailable(error: unknown): string {
  const { code, message } = { code: (error as NodeJS.ErrnoException)?.code, message: String((error as Error)?.message ?? error) };
  if (code === 'MODULE_NOT_FOUND' && message.startsWith("Cannot find module 'segfault-handler'")) {
    return 'the optional dependency segfault-handler is not installed (it is left out by --omit=optional, and npm ' +
      'removes it when its build fails). Install it with `npm install segfault-handler`, which builds it from source: ' +
      'it needs a C++ compiler, make and python3';
  }
  if (message.startsWith('Could not locate the bindings file')) {
    return 'the optional dependency segfault-handler is installed but its native addon was never built (its install ' +
      'script did not run: npm was given --ignore-scripts, or the project\'s "allowScripts" denies it). Allow it ' +
      '(`npm pkg set allowScripts.segfault-handler=true --json` in the project), make sure a C++ compiler, make and ' +
      `python3 are installed, then ${REBUILD}`;
  }
  const versions = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
  if (code === 'ERR_DLOPEN_FAILED' && versions !== null) {
    return `the optional dependency segfault-handler was built for another Node.js (NODE_MODULE_VERSION ${versions[1]}; ` +
      `this one needs ${versions[2]}): it is built for one Node version at install. To rebuild it for this one, ${REBUILD}`;
  }
  return `the optional dependency segfault-handler could not be loaded (${message.split('\n')[0]}). To build it again, ` +
    `make sure a C++ compiler, make and python3 are installed, then ${REBUILD}`;
}

function loadSegfaultHandler(): SegfaultHandler {
  if (!(require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread) {
    throw crashReportsUnavailable('segfault-handler cannot be loaded in a worker thread (it is not context-aware): call enableCrashReports() on the main thread, where its report covers every thread');
  }
  try {
    return require('segfault-handler') as SegfaultHandler;
  } catch (error) {
    throw crashReportsUnavailable(segfaultHandlerUnavailable(error), error);
  }
}

/**
 * Writes segfault-handler's report (stderr and a file) for a real crash outside any guarded copy, then lets the
 * process end by SIGSEGV. Guarded faults and WebAssembly traps never reach it.
 * segfault-handler (an optional dependency, built from source at install for one Node version) reports SIGSEGV
 * only, and loads on the main thread only.
 * @param options - where the report file goes
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `options` is not an object or `options.path` not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options.path` is empty, holds a NUL byte, or is longer than 127 bytes once resolved
 * @throws `Error` (`ERR_CRASH_REPORTS_UNAVAILABLE`) when segfault-handler is not installed, could not be loaded (not
 * built, or built for another Node), or this is a worker thread; the message says which
 * @group Memory, pages and the guard
 * @example
 * ```ts
 * import { enableCrashReports, guardStatus, safeRead } from 'memprobe';
 *
 * enableCrashReports({ path: 'crash.log' });    // throws ERR_CRASH_REPORTS_UNAVAILABLE without segfault-handler
 * console.log(guardStatus().previous.SIGSEGV);  // segfault-handler
 * console.log(safeRead(0n, 8).fault?.code);     // SEGV_MAPERR: guarded faults are still values
 * ```
 */
export function enableCrashReports(options?: CrashReportOptions): void {
  const file = reportPath(options);
  const handler = loadSegfaultHandler();
  if (file === undefined) {
    handler.registerHandler();
  } else {
    handler.registerHandler(file);
  }
  binding.reassertGuard();  // it installed its handler over the guard's: the guard goes back on top, with it behind
}
