// `memprobe send`: kill, sigqueue with a value, or tgkill to one thread of a process.
import { type Command, parsePid, parseSignal, UsageError } from './output';
import { sendSignal, signalProcessThread } from '../signals/watch';

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const POINTER_MAX = 2n ** 64n - 1n;

/**
 * @internal --value: decimal (may be negative) or 0x hex. A signed 32-bit value goes as sival_int, as
 * `sigqueue -q` and C senders usually send it; anything larger, up to 2^64-1, as the whole 64-bit sival_ptr.
 */
export function parseSignalValue(text: string): number | bigint {
  const value = /^(-?\d+|0x[0-9a-f]+)$/i.test(text) ? BigInt(text) : undefined;
  if (value === undefined || value < INT32_MIN || value > POINTER_MAX) {
    throw new UsageError(`The "--value" option must be an integer from -2147483648 to 0xffffffffffffffff. Received ${text}`);
  }
  return value <= INT32_MAX ? Number(value) : value;
}

/** @internal */
export const sendCommand: Command = {
  usage: 'send <pid> <signal> [--value N] [--thread TID]',
  summary: 'send a signal: kill, sigqueue with a value, or tgkill to one thread',
  help: [
    'Signals by name (SIGUSR2, USR2, RTMIN+1) or number; 0 only checks that the process exists.',
    '',
    '  --value N     sigqueue with this value: a signed 32-bit integer goes as sival_int, a larger one (up to 0xffffffffffffffff) as the 64-bit sival_ptr',
    '  --thread TID  tgkill to this thread of <pid> (no value: tgkill carries none); a thread that blocks the signal keeps it pending (memprobe threads --pid N shows the masks; memprobe watch takes signals on its thread memprobe-signal)',
    '',
    'Exits 1 with the errno name when the kernel refuses (ESRCH: no such process or thread; EPERM: not allowed).',
  ].join('\n'),
  examples: ['send 1234 SIGUSR2', 'send 1234 RTMIN+1 --value 7', 'send 1234 SIGUSR2 --thread 1236'],
  options: { value: { type: 'string' }, thread: { type: 'string' } },
  positionals: 2,
  requiredPositionals: 2,
  run(values, positionals) {
    const pid = parsePid(positionals[0], 'the pid');
    const signo = parseSignal(positionals[1], 'the signal', true);
    if (values.thread !== undefined) {
      if (values.value !== undefined) throw new UsageError('--value and --thread: tgkill carries no value, give one of them');
      signalProcessThread(pid, parsePid(values.thread, '--thread'), signo);
      return 0;
    }
    sendSignal(pid, signo, values.value === undefined ? {} : { value: parseSignalValue(values.value as string) });
    return 0;
  },
};
