// Pieces of child scripts for the signal tests (each runs in a child through runChild, where `memprobe` is the
// built package).
import { childNodeCommand, PACKAGE_ROOT } from './child';

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
