// `memprobe scan-memory`: where a byte pattern occurs in the readable memory of this process or another one.
import { type Command, parseAddress, parseCount, pidOption, toJson, UsageError } from './output';
import { type Progress, startProgress } from './progress-bar';
import { formatAddress } from '../common/format';
import { compilePattern } from '../inspect/pattern';
import { USER_END } from '../probe/probe';
import { scanMemory } from '../inspect/scan-memory';

/** A pattern typed by a person: a bad one is bad usage, said the way the API says it. */
function parsePattern(text: string): void {
  try {
    compilePattern(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(`bad pattern ${message.slice(message.indexOf('Received ') + 'Received '.length)}`);
  }
}

/** @internal */
export const scanMemoryCommand: Command = {
  usage: 'scan-memory <pattern> [--start A] [--end A] [--pid N] [--limit N] [--json]',
  summary: "addresses of a byte pattern in readable memory ('48 8b ?? 05', nibbles '4?': Frida's syntax)",
  help: [
    "  pattern             hex bytes, spaces optional; ?? any byte, 4? or ?4 half of one; ' : ' then a mask",
    '  --start A, --end A  the window [A, A) a match must lie in (default: the user half, 0 to 0x800000000000)',
    '  --pid N             another process, read through process_vm_readv',
    '  --limit N           stop after N matches',
    '  --json              the addresses as a JSON array',
    'Matches do not overlap. Exit status 0 whether or not anything matched.',
  ].join('\n'),
  options: { start: { type: 'string' }, end: { type: 'string' }, pid: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  positionals: 1,
  requiredPositionals: 1,
  run(values, positionals, out, context) {
    const pattern = positionals[0];
    parsePattern(pattern);
    const start = values.start === undefined ? 0n : parseAddress(values.start as string, '--start');
    const end = values.end === undefined ? USER_END : parseAddress(values.end as string, '--end');
    if (start > end) throw new UsageError(`--start (${formatAddress(start)}) is past --end (${formatAddress(end)})`);
    const limit = values.limit === undefined ? undefined : parseCount(values.limit as string, '--limit', 0, Number.MAX_SAFE_INTEGER);
    const pid = pidOption(values.pid);
    let bar: Progress | undefined;
    const progress = { ...context, progress: context.progress && !values.json };
    let found: bigint[];
    try {
      found = scanMemory(pattern, {
        start,
        end,
        pid,
        limit,
        onProgress: (done, total) => (bar ??= startProgress(progress, 'scan-memory', Number(total))).update(Number(done)),
      });
    } finally {
      bar?.stop();
    }
    out.write(values.json ? toJson(found) : found.map((address) => `${formatAddress(address)}\n`).join(''));
    return 0;
  },
};
