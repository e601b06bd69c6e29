// Differential runs for the crash chain: the same scenario in two fresh processes, one without memprobe and one
// with it, so a test can assert that loading memprobe changes nothing about how a process with foreign SIGSEGV
// handlers ends. In the script:
//   addon             the foreign-handler addon (test/native/foreign_handlers.cc), built for this Node
//   loadMemprobe()    loads memprobe in the run with it (returns it), does nothing in the other (returns null)
//   memprobe          null until loadMemprobe() ran
//   guardedFaults()   in the run with memprobe: faults on each path of the guard (fast copy, exact pass,
//                     overlap), throwing unless each comes back as the right value; nothing in the other run
//   note(value)       a line only the run with memprobe prints ('memprobe: ' + JSON), left out of comparisons
import { PACKAGE_ROOT, runChild, type ChildOptions, type ChildResult } from './child';
import { foreignHandlersAddon } from './native-build';

export interface Runs {
  without: ChildResult;
  with: ChildResult;
}

const NOTE = 'memprobe: ';

export interface ScenarioOptions extends ChildOptions {
  /** load the foreign-handler addon before the script (default true) */
  loadAddon?: boolean;
}

function prelude(withMemprobe: boolean, loadAddon: boolean): string {
  return `
const WITH_MEMPROBE = ${withMemprobe};
const ADDON_PATH = ${JSON.stringify(foreignHandlersAddon())};
${loadAddon ? 'const addon = require(ADDON_PATH);' : ''}
let memprobe = null;
function loadMemprobe() {
  if (WITH_MEMPROBE && memprobe === null) memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
  return memprobe;
}
function note(value) {
  if (WITH_MEMPROBE) console.log(${JSON.stringify(NOTE)} + JSON.stringify(value));
}
function guardedFaults() {
  if (memprobe === null) return;
  const expect = (what, result, code, bytesCopied) => {
    if (result.ok || result.fault.code !== code || result.bytesCopied !== bytesCopied) {
      throw new Error(what + ': ' + require('node:util').inspect(result));
    }
  };
  const pages = memprobe.mapPages(3);
  pages.protect(2 * memprobe.pageSize, memprobe.pageSize, 'none');
  expect('fast copy', memprobe.safeRead(0n, 8), 'SEGV_MAPERR', 0);
  expect('exact pass', memprobe.safeRead(pages.address + BigInt(memprobe.pageSize), 2 * memprobe.pageSize), 'SEGV_ACCERR', memprobe.pageSize);
  expect('overlap', memprobe.safeMemcpy(pages.address + 16n, pages.address, 2 * memprobe.pageSize), 'SEGV_ACCERR', 2 * memprobe.pageSize - 16);
  pages.unmap();
}
`;
}

/** Runs `script` without memprobe, then with it (see the top of this file for what the script can use). */
export function runWithAndWithout(script: string, options: ScenarioOptions = {}): Runs {
  const run = (withMemprobe: boolean): ChildResult =>
    runChild(prelude(withMemprobe, options.loadAddon !== false) + script, { ...options, memprobe: false });
  return { without: run(false), with: run(true) };
}

/** How a run ended, without the lines only the run with memprobe prints. */
export function ending(result: ChildResult): ChildResult {
  const stdout = result.stdout.split('\n').filter((line) => !line.startsWith(NOTE)).join('\n');
  return { status: result.status, signal: result.signal, stdout, stderr: result.stderr };
}

/** The values the run with memprobe noted, in order. */
export function notes(result: ChildResult): unknown[] {
  return result.stdout.split('\n').filter((line) => line.startsWith(NOTE)).map((line) => JSON.parse(line.slice(NOTE.length)));
}
