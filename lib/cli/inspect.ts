// `memprobe scan-memory`: where a byte pattern occurs in the readable memory of a process, printed as found.
import { type Command, parseAddress, QUIET_OPTION, parseCount, TARGET_OPTIONS, TARGET_USAGE, targetOf, UsageError } from './output';
import { type Progress, startProgress } from './progress-bar';
import { SYMBOLS_OPTION, symbolOf, symbolsHelp } from './symbols';
import { formatAddress } from '../common/format';
import { compilePattern } from '../inspect/pattern';
import { USER_END } from '../probe/probe';
import { scanMemoryIter } from '../inspect/scan-memory';

/** A pattern typed by a person: a bad one is bad usage, said the way the API says it. */
function parsePattern(text: string): void {
  try {
    compilePattern(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(`bad pattern ${message.slice(message.indexOf('Received ') + 'Received '.length)}`);
  }
}

/** Resolves once `out` can take more (at once unless a write filled its buffer): output in bounded memory. */
function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> | undefined {
  return out.write(line) ? undefined : new Promise((resolve) => out.once('drain', resolve));
}

/** One match's line: the address, and with --symbols (`symbol` not undefined) where it falls. */
function formatMatch(address: bigint, json: boolean, symbol: string | null | undefined): string {
  if (json) return `${JSON.stringify(symbol === undefined ? { address: formatAddress(address) } : { address: formatAddress(address), symbol })}\n`;
  return symbol === undefined ? `${formatAddress(address)}\n` : `${formatAddress(address)}  ${symbol ?? '?'}\n`;
}

/** @internal */
export const scanMemoryCommand: Command = {
  usage: `scan-memory <pattern> (${TARGET_USAGE}) [--start A] [--end A] [--limit N] [--count] [--symbols] [--json] [--quiet]`,
  summary: "addresses of a byte pattern in readable memory ('48 8b ?? 05', nibbles '4?': Frida's syntax)",
  help: [
    "  pattern             hex bytes, spaces optional; ?? any byte, 4? or ?4 half of one; ' : ' then a mask",
    '  --pid N             the process, read through process_vm_readv',
    "  --self              this command's own process",
    '  --start A, --end A  the window [A, A) a match must lie in (default: the user half, 0 to 0x800000000000)',
    '  --limit N           stop after N matches',
    '  --count             print only how many matched',
    symbolsHelp(22, 'each match'),
    '  --quiet, -q         no progress line',
    '  --json              one JSON object per match and line (NDJSON): {"address":"0x…"}; with --count, {"count":N}; with --symbols, {"address":"0x…","symbol":"libc.so.6+0x1f00"} (null in no module)',
    'Each match is printed as it is found; a closed output (| head) ends the search quietly.',
    'Matches do not overlap. Exit status 0 whether or not anything matched.',
  ].join('\n'),
  examples: ["scan-memory --pid 1234 '48 8b ?? 05'", "scan-memory --pid 1234 c3 --start malloc --end malloc+64 --symbols", "scan-memory --pid 1234 '7f 45 4c 46' --count", "scan-memory --self '00 00' --json | head -2"],
  options: { start: { type: 'string' }, end: { type: 'string' }, ...TARGET_OPTIONS, limit: { type: 'string' }, count: { type: 'boolean' }, ...SYMBOLS_OPTION, json: { type: 'boolean' }, ...QUIET_OPTION },
  positionals: 1,
  requiredPositionals: 1,
  async run(values, positionals, out, context) {
    const pattern = positionals[0];
    parsePattern(pattern);
    const pid = targetOf(values);
    const start = values.start === undefined ? 0n : parseAddress(values.start as string, '--start', pid, context.err);
    const end = values.end === undefined ? USER_END : parseAddress(values.end as string, '--end', pid, context.err);
    if (start > end) throw new UsageError(`--start (${formatAddress(start)}) is past --end (${formatAddress(end)})`);
    const limit = values.limit === undefined ? undefined : parseCount(values.limit as string, '--limit', 0, Number.MAX_SAFE_INTEGER);
    let bar: Progress | undefined;
    const matches = scanMemoryIter(pattern, {
      start,
      end,
      pid,
      limit,
      onProgress: (done, total) => (bar ??= startProgress(context, 'scan-memory', Number(total), 'bytes')).update(Number(done)),
    });
    let count = 0;
    try {
      for await (const address of matches) {
        count++;
        if (values.count) continue;
        bar?.clear();
        await writeLine(out, formatMatch(address, values.json === true, values.symbols === true ? symbolOf(address, pid) : undefined));
        if (context.signal.aborted) break;
      }
    } finally {
      bar?.stop();
    }
    if (values.count) out.write(values.json ? `${JSON.stringify({ count })}\n` : `${count}\n`);
    return 0;
  },
};
