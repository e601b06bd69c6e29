// `memprobe threads` and `memprobe masking-demo`.
import { type Command, formatTable, TARGET_OPTIONS, TARGET_USAGE, targetOf } from './output';
import { maskingDemo } from '../signals/masking-demo';
import { signalName, SIGRTMAX } from '../signals/names';
import { threadSignalMasks } from '../signals/watch';

const EVERY_SIGNAL = Array.from({ length: SIGRTMAX }, (_, index) => signalName(index + 1));

/** @internal A signal list for a table cell: without the SIG prefix, or 'all but …' when that is shorter. */
export function compactSignals(names: string[]): string {
  if (names.length === 0) return '-';
  const strip = (name: string): string => name.replace(/^SIG/, '');
  const missing = EVERY_SIGNAL.filter((name) => !names.includes(name));
  return missing.length < names.length / 4 ? `all but ${missing.map(strip).join(' ') || 'none'}` : names.map(strip).join(' ');
}

/** @internal */
export const threadsCommand: Command = {
  usage: `threads (${TARGET_USAGE}) [--json]`,
  summary: 'signal masks of every thread of a process (blocked, pending, ignored, caught)',
  help: ['  --pid N  the process', "  --self   this command's own process (Node's threads)", '  --json   the masks as JSON'].join('\n'),
  examples: ['threads --pid 1234', 'threads --self'],
  options: { ...TARGET_OPTIONS, json: { type: 'boolean' } },
  run(values, _positionals, out) {
    const threads = threadSignalMasks(targetOf(values));
    if (values.json) {
      out.write(JSON.stringify(threads, null, 2) + '\n');
      return 0;
    }
    const rows = threads.map((thread) => [
      String(thread.tid),
      thread.name,
      compactSignals(thread.blocked),
      compactSignals(thread.pending),
      compactSignals(thread.sharedPending),
      compactSignals(thread.ignored),
      compactSignals(thread.caught),
    ]);
    out.write(formatTable(['TID', 'NAME', 'BLOCKED', 'PENDING', 'SHARED PENDING', 'IGNORED', 'CAUGHT'], rows));
    return 0;
  },
};

/** @internal */
export const maskingDemoCommand: Command = {
  usage: 'masking-demo [--json]',
  summary: 'which thread the kernel picks for a signal, depending on masks',
  options: { json: { type: 'boolean' } },
  run(values, _positionals, out) {
    const demo = maskingDemo();
    if (values.json) {
      out.write(JSON.stringify(demo, null, 2) + '\n');
      return 0;
    }
    const { signal } = demo;
    const rows = demo.threads.map((thread) => [
      String(thread.tid),
      thread.name,
      thread.role,
      thread.blocksSignal ? 'yes' : 'no',
      thread.tid === demo.processDirected.deliveredTo ? 'here' : '',
    ]);
    const [blocked, open] = demo.threadDirected;
    const handled = (tid: number | null): string => (tid === null ? 'nobody ran the handler' : `handled by ${tid}`);
    out.write(`Demo signal ${signal} (${demo.signo}): every thread of this process blocks it except demo-open.\n\n`);
    out.write(formatTable(['TID', 'NAME', 'ROLE', `BLOCKS ${signal}`, 'KILL() LANDED'], rows));
    out.write('\n');
    out.write(`process-directed  kill(pid, ${signal}): delivered to ${demo.processDirected.deliveredTo} (${demo.processDirected.deliveredToName}), ` +
      `${demo.processDirected.blockedThere ? 'which BLOCKS it (unexpected)' : 'a thread that does not block it'}\n`);
    out.write(`thread-directed   tgkill(${blocked.target} ${blocked.targetName}, ${signal}), target blocks it: ${handled(blocked.handledBy)}; ` +
      `pending on the target: ${blocked.pendingOnTarget ? 'yes' : 'no'}\n`);
    out.write(`thread-directed   tgkill(${open.target} ${open.targetName}, ${signal}), target does not block it: ${handled(open.handledBy)}\n`);
    return 0;
  },
};
