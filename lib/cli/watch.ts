// `memprobe watch`: signals as they arrive, with their siginfo, for as long as asked.
import { type Command, parseCount, parseSignal, UsageError } from './output';
import { signalName } from '../signals/names';
import { type SignalInfo, watchSignals } from '../signals/watch';

/** A watch's bad argument (a signal that cannot be watched, say) is bad usage, said in the library's words. */
function usageErrorOf(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_') ? new UsageError((error as Error).message) : error;
}

/** SIGCHLD's status names the signal for every CLD_* code but CLD_EXITED, where it is the exit code. */
function childStatus(info: SignalInfo): string {
  if (info.status === undefined) return '';
  const status = info.code === 'CLD_EXITED' ? `exit code ${info.status}` : `signal ${signalName(info.status)} (${info.status})`;
  return ` ${status}, user ${info.utime?.toFixed(2)} s, system ${info.stime?.toFixed(2)} s`;
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** @internal One line per signal: what, how, from whom, with which value (or, for SIGCHLD, what happened). */
export function formatSignalLine(info: SignalInfo): string {
  const sender = info.pid === 0 && info.uid === 0 ? '' : ` from pid ${info.pid} uid ${info.uid}`;
  const value = info.value === null || info.valuePointer === null ? '' : ` value ${info.value} (sival_ptr ${hex(info.valuePointer)})`;
  return `${info.signal} (${info.signo}) ${info.code}${sender}${value}${childStatus(info)}\n`;
}

/** @internal One NDJSON line: the SignalInfo, with valuePointer in hex (JSON has no 64-bit integers). */
export function formatSignalJson(info: SignalInfo): string {
  return JSON.stringify({ ...info, valuePointer: info.valuePointer === null ? null : hex(info.valuePointer) }) + '\n';
}

/** @internal */
export const watchCommand: Command = {
  usage: 'watch <signal…> [--count N] [--timeout MS] [--json]',
  summary: 'print signals sent to this command as they arrive, with their siginfo',
  help: [
    'Prints its own pid first (pid N; with --json {"pid":N}), so another shell can send to it, then one line per',
    'signal: name, number, si_code, sender pid and uid, the sigqueue value (sival_int, and sival_ptr in hex), and',
    "for SIGCHLD the child's exit code or signal and CPU times. Signals by name (SIGUSR2, USR2, RTMIN+1) or number.",
    '',
    '  --count N      exit 0 after N signals',
    '  --timeout MS   stop after MS milliseconds: exit 0, or 1 when --count signals did not all come',
    '  --json         NDJSON: one object per line, the pid line first',
    '',
    'Without --count or --timeout it watches until it is ended (Ctrl-C exits 0).',
  ].join('\n'),
  examples: ['watch SIGUSR2 SIGRTMIN+1', 'watch USR2 --count 2 --json', 'watch SIGCHLD --timeout 5000'],
  options: { count: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' } },
  positionals: 64,
  requiredPositionals: 1,
  interruptible: true,
  run(values, positionals, out, context) {
    const signos = positionals.map((text) => parseSignal(text, 'the signal'));
    const count = values.count === undefined ? undefined : parseCount(values.count as string, '--count', 1, Number.MAX_SAFE_INTEGER);
    const timeout = values.timeout === undefined ? undefined : parseCount(values.timeout as string, '--timeout', 0, 0x7fffffff);
    const json = values.json === true;
    return new Promise<number>((resolve, reject) => {
      let seen = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (status: number): void => {
        watcher.close();
        clearTimeout(timer);
        context.signal.removeEventListener('abort', interrupted);
        resolve(status);
      };
      const interrupted = (): void => finish(0);
      let watcher: ReturnType<typeof watchSignals>;
      try {
        // Naming SIGUSR1 on the command line is the consent the library asks for: no inspector is wanted here.
        watcher = watchSignals(signos, (info) => {
          if (count !== undefined && seen >= count) return;  // more in the same batch than asked for
          seen++;
          out.write(json ? formatSignalJson(info) : formatSignalLine(info));
          if (seen === count) finish(0);
        }, { allowInspectorSignal: true });
      } catch (error) {
        reject(usageErrorOf(error));
        return;
      }
      out.write(json ? `${JSON.stringify({ pid: process.pid })}\n` : `pid ${process.pid}\n`);
      watcher.ref();
      context.signal.addEventListener('abort', interrupted);
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          if (count !== undefined) context.err.write(`memprobe watch: ${seen} of ${count} signals in ${timeout} ms\n`);
          finish(count === undefined ? 0 : 1);
        }, timeout);
      }
    });
  },
};
