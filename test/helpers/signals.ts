// Pieces of child scripts for the signal tests (each runs in a child through runChild, where `memprobe` is the
// built package).
import { childNodeCommand, PACKAGE_ROOT, runChild } from './child';

/**
 * A statement that runs `code` in another node process, synchronously, with `memprobe` loaded there too and
 * `target` = this process's pid; it leaves that process's pid in `senderPid` and fails loudly if it failed.
 */
export function runSender(code: string): string {
  const script = `const memprobe = require(${JSON.stringify(PACKAGE_ROOT)}); const target = Number(process.argv[1]);\n${code}`;
  return `const sent = require('node:child_process').spawnSync(...${childNodeCommand(`['-e', ${JSON.stringify(script)}, String(process.pid)]`)}, { stdio: 'inherit' });
if (sent.status !== 0) throw new Error('sender failed: ' + sent.status + ' ' + sent.signal);
const senderPid = sent.pid;\n`;
}

/** Sender code: sigqueue `count` real-time signals with values 0..count-1, retrying while the queue is full. */
export function queueSignals(signal: string, count: number): string {
  return `for (let i = 0; i < ${count}; i++) {
  for (;;) {
    try { memprobe.sendSignal(target, ${JSON.stringify(signal)}, { value: i }); break; }
    catch (error) { if (error.code !== 'EAGAIN') throw error; }
  }
}`;
}

/** Child-script code: resolves once `predicate()` holds, checking at every turn of the event loop. */
export const UNTIL = `const until = (predicate) => new Promise((resolve) => { const check = () => (predicate() ? resolve() : setImmediate(check)); check(); });\n`;

/**
 * Child-script code: a sender process floods this one with SIGRTMIN+5 (until this one is gone) while a watcher
 * calls process.exit(0) at the 1000th: exit() runs memprobe's atexit hook while signals are being handed on.
 */
export const EXIT_IN_FLOOD = `
const sender = require('node:child_process').spawn(process.execPath, ['-e', \`
  const memprobe = require(\${JSON.stringify(require.resolve('memprobe'))});
  for (let i = 0; ; i++) {
    try { memprobe.sendSignal(\${process.pid}, 'SIGRTMIN+5', { value: i }); }
    catch (error) { if (error.code === 'ESRCH') break; if (error.code !== 'EAGAIN') throw error; }
  }\`], { stdio: 'inherit' });
let received = 0;
memprobe.watchSignals(['SIGRTMIN+5'], () => {
  if (++received === 1000) process.exit(0);
});
setInterval(() => {}, 1000);`;

/** The outcomes of `times` runs of a child script: each should be { status: 0, signal: null, stderr: '' }. */
export function outcomesOf(script: string, times: number): Array<{ status: number | null; signal: string | null; stderr: string }> {
  return Array.from({ length: times }, () => {
    const { status, signal, stderr } = runChild(script);
    return { status, signal, stderr };
  });
}
