// `memprobe fuzz`, `scan`, `probe`, `read` and `maps`.
import * as fs from 'node:fs';

import { type Command, type CommandContext, COLOR_OPTION, type ParsedValues, colorWanted, QUIET_OPTION, formatOffset, formatTable, parseAddress, parseCount, TARGET_OPTIONS, TARGET_USAGE, targetOf, toJson, UsageError } from './output';
import { startProgress } from './progress-bar';
import { SYMBOLS_OPTION, symbolOf, symbolsHelp, symbolsOf } from './symbols';
import { formatAddress, formatSize } from '../common/format';
import { fuzz, type FuzzReport } from '../probe/fuzz';
import { OUTCOMES } from '../probe/fuzz-runner';
import { hexdump } from '../inspect/hexdump';
import { pageSize, safeRead } from '../memory/copy';
import { type MapEntry, type PageState, probe, ProbeCode, probeMany, readMaps, scanReadable, USER_END, type Range } from '../probe/probe';
import { renderAddressSpace } from '../watch/address-space-svg';

const MAX_READ = 16 << 20;  // 16 MiB: its hex dump is ~70 MB of text
const SCAN_CHUNKS = 64;
const SVG_SAMPLES = 10_000;  // fuzz --svg: the cases drawn (the picture stays a few hundred KB)

/** --svg FILE: the address space drawn to FILE (beside the command's usual output). */
const SVG_OPTION = { svg: { type: 'string' } } as const;

function svgPath(values: ParsedValues): string | undefined {
  const file = values.svg;
  if (file === undefined) return undefined;
  if (typeof file !== 'string' || file === '') throw new UsageError(`The "--svg" option must be a file name. Received '${String(file)}'`);
  return file;
}  // a whole-space scan with a progress bar runs as this many scans of consecutive mappings

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** ' (libc.so.6!malloc+0x10)' for an address of this process when --symbols asked for it, else ''. */
function besideOwn(address: bigint, symbols: boolean): string {
  return symbols ? ` (${symbolOf(address, undefined) ?? '?'})` : '';
}

/** @internal The fuzz report as text; with `symbols`, each mismatch's address is followed by where it falls. */
export function describeFuzz(report: FuzzReport, symbols = false): string {
  const lines = [
    `memprobe fuzz: ${report.iterations.toLocaleString('en-US')} cases${report.aborted ? ` (stopped early, of ${report.requested.toLocaleString('en-US')})` : ''}, ` +
      `seed ${report.seed}, ${report.threads} thread${report.threads === 1 ? '' : 's'}, lengths ${report.lengths[0]} to ${report.lengths[1]} bytes`,
    '',
  ];
  const rows = OUTCOMES.filter((outcome) => report.outcomes[outcome] > 0).map((outcome) => [
    outcome,
    report.outcomes[outcome].toLocaleString('en-US'),
    percent(report.outcomes[outcome], report.iterations),
  ]);
  lines.push(formatTable(['OUTCOME', 'CASES', 'SHARE'], rows));
  const explained = report.rechecked === 1 ? '1 disagreement' : `${report.rechecked} disagreements`;
  lines.push(`mismatches with /proc/self/maps: ${report.mismatchCount} (${explained} explained by a fresh maps read, ` +
    `${report.unstable} unstable: the maps changed around every copy)`);
  for (const m of report.mismatches) {
    lines.push(`  ${formatAddress(m.address)}${besideOwn(m.address, symbols)} +${m.length} ${m.api} ${m.strategy}: ${m.reason}` +
      ` (copy: ${m.copy.bytesCopied} bytes, ${m.copy.code ?? 'ok'}; maps: ${m.maps.minBytes === m.maps.maxBytes ? m.maps.minBytes : `${m.maps.minBytes}-${m.maps.maxBytes}`} bytes, ${m.maps.verdict ?? 'all readable'})`);
  }
  lines.push(`${(report.durationMs / 1000).toFixed(2)} s, ${report.probesPerSecond.toLocaleString('en-US')} probes/s`);
  return lines.join('\n') + '\n';
}

/** @internal */
export const fuzzCommand: Command = {
  usage: 'fuzz [--iterations N] [--seed S] [--threads T] [--svg FILE] [--symbols] [--json] [--quiet]',
  summary: 'copy generated addresses through safeMemcpy/safeRead and check each against /proc/self/maps',
  help: [
    '  --iterations N  cases in all (default 100000)',
    '  --seed S        32-bit seed; the same seed on the same layout gives the same cases (default: random, printed)',
    '  --threads T     worker threads, each with its own stream (default 1)',
    `  --svg FILE      also draw this process's address space to FILE (SVG) with the first ${SVG_SAMPLES.toLocaleString('en-US')} cases at their addresses, coloured by outcome, and the mismatches`,
    '  --json          the full report as JSON',
    '  --quiet, -q     no progress line',
    symbolsHelp(18, "each mismatch's address"),
    'Exit status 1 on a mismatch: a copy that disagreed with equal maps reads before and after it, three times alike',
    '(cases whose pages other threads kept changing are reported as unstable, not mismatches). Ctrl-C stops early with a partial report.',
  ].join('\n'),
  examples: ['fuzz --iterations 20000 --seed 7', 'fuzz --iterations 5000 --svg fuzz.svg'],
  options: { iterations: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, ...SVG_OPTION, ...SYMBOLS_OPTION, json: { type: 'boolean' }, ...QUIET_OPTION },
  interruptible: true,
  async run(values, _positionals, out, context) {
    const iterations = values.iterations === undefined ? 100_000 : parseCount(values.iterations as string, '--iterations', 0, Number.MAX_SAFE_INTEGER);
    const seed = values.seed === undefined ? undefined : parseCount(values.seed as string, '--seed', 0, 0xffff_ffff);
    const threads = values.threads === undefined ? 1 : parseCount(values.threads as string, '--threads', 1, 64);
    const svg = svgPath(values);
    const bar = startProgress(context, 'fuzz', iterations);
    let report: FuzzReport;
    try {
      const samples = svg === undefined ? 0 : Math.min(iterations, SVG_SAMPLES);
      report = await fuzz({ iterations, seed, threads, samples, signal: context.signal, onProgress: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
    if (svg !== undefined) {
      fs.writeFileSync(svg, renderAddressSpace({ fuzz: report }));
      // The samples were asked for the picture only: the report printed is the one without --svg.
      report = { ...report, samples: [] };
    }
    const symbols = values.symbols === true;
    if (values.json && symbols) {
      const names = symbolsOf(report.mismatches.map((m) => m.address), undefined);
      const mismatches = report.mismatches.map(({ address, ...rest }, i) => ({ address, symbol: names[i], ...rest }));
      out.write(toJson({ ...report, mismatches }));
    } else {
      out.write(values.json ? toJson(report) : describeFuzz(report, symbols));
    }
    return report.mismatchCount > 0 ? 1 : 0;
  },
};

/** The names of the mappings a range overlaps ('[anonymous]' for those without one). */
function namesFor(range: Range, entries: readonly MapEntry[]): string[] {
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.end <= range.start || entry.start >= range.end) continue;
    const name = entry.path === '' ? '[anonymous]' : entry.path;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** scanReadable over [start, end), in chunks of consecutive mappings when a progress bar is shown. */
function scanWithProgress(start: bigint, end: bigint, pid: number | undefined, entries: readonly MapEntry[], context: CommandContext): Range[] {
  const inside = entries.filter((entry) => entry.end > start && entry.start < end);
  if (!context.progress || inside.length < 2) return scanReadable({ start, end, pid });
  const per = Math.ceil(inside.length / SCAN_CHUNKS);
  const bounds = [start];
  for (let i = per; i < inside.length; i += per) bounds.push(inside[i].start);
  bounds.push(end);
  const mappedBytes = (from: bigint, to: bigint): number =>
    inside.reduce((sum, entry) => sum + Math.max(0, Number((entry.end < to ? entry.end : to) - (entry.start > from ? entry.start : from))), 0);
  const bar = startProgress(context, 'scan', mappedBytes(start, end), 'bytes');
  const ranges: Range[] = [];
  let done = 0;
  try {
    for (let i = 0; i + 1 < bounds.length; i++) {
      for (const range of scanReadable({ start: bounds[i], end: bounds[i + 1], pid })) {
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last.end === range.start) last.end = range.end;
        else ranges.push({ ...range });
      }
      done += mappedBytes(bounds[i], bounds[i + 1]);
      bar.update(done);
    }
  } finally {
    bar.stop();
  }
  return ranges;
}

/** @internal */
export const scanCommand: Command = {
  usage: `scan (${TARGET_USAGE}) [--start A] [--end A] [--svg FILE] [--symbols] [--json] [--quiet]`,
  summary: 'readable ranges of a process, with the mappings beside each',
  help: [
    '  --pid N             the process, read through process_vm_readv one page at a time',
    "  --self              this command's own process",
    '  --start A, --end A  the window [A, A) (default: the user half, 0 to 0x800000000000)',
    '  --svg FILE          also draw the address space to FILE (SVG): the mappings in address order, coloured by what a read finds, gaps shrunk to their size (the whole user half: no --start or --end)',
    symbolsHelp(22, "each range's start (a SYMBOL column)"),
    '  --json              the ranges as JSON',
    '  --quiet, -q         no progress line',
  ].join('\n'),
  examples: ['scan --pid 1234', 'scan --pid 1234 --start 0x7f0000000000 --json', 'scan --pid 1234 --start libc.so.6 --end libc.so.6+0x8000 --symbols', 'scan --pid 1234 --svg address-space.svg'],
  options: { start: { type: 'string' }, end: { type: 'string' }, ...TARGET_OPTIONS, ...SVG_OPTION, ...SYMBOLS_OPTION, json: { type: 'boolean' }, ...QUIET_OPTION },
  run(values, _positionals, out, context) {
    const pid = targetOf(values);
    const svg = svgPath(values);
    if (svg !== undefined && (values.start !== undefined || values.end !== undefined)) throw new UsageError('--svg draws the whole user half: it takes no --start or --end');
    const start = values.start === undefined ? 0n : parseAddress(values.start as string, '--start', pid, context.err);
    const end = values.end === undefined ? USER_END : parseAddress(values.end as string, '--end', pid, context.err);
    if (start > end) throw new UsageError(`--start (${formatAddress(start)}) is past --end (${formatAddress(end)})`);
    const entries = readMaps(pid);
    const ranges = scanWithProgress(start, end, pid, entries, context);
    if (svg !== undefined) fs.writeFileSync(svg, renderAddressSpace({ pid, scan: ranges }));
    // The process maps and unmaps while we look (V8 does all the time): name each range from the maps read before
    // and after the scan.
    const named = [...entries, ...readMaps(pid)];
    const symbols = values.symbols === true;
    const names = symbols ? symbolsOf(ranges.map((range) => range.start), pid) : [];
    const described = ranges.map((range, i) => ({
      ...range,
      ...(symbols ? { symbol: names[i] } : {}),
      size: Number(range.end - range.start),
      mappings: namesFor(range, named),
    }));
    if (values.json) {
      out.write(toJson(described));
      return 0;
    }
    const rows = described.map((range) => [
      formatAddress(range.start),
      formatAddress(range.end),
      formatSize(range.end - range.start),
      ...(symbols ? [range.symbol ?? '?'] : []),
      range.mappings.join(', '),
    ]);
    out.write(formatTable(['START', 'END', 'SIZE', ...(symbols ? ['SYMBOL'] : []), 'MAPPING'], rows));
    return 0;
  },
};

const STATES = (Object.keys(ProbeCode) as PageState[]).sort((a, b) => ProbeCode[a] - ProbeCode[b]);  // indexed by code
const PAGES_PER_CALL = 4096;

/** The first page of [address, address + length) that a read does not find readable, with its state; null if none. */
function firstUnreadable(address: bigint, length: number, pid: number | undefined): { address: bigint; state: PageState } | null {
  const page = BigInt(pageSize);
  const end = address + BigInt(length);
  let at = address;
  while (at < end) {
    const batch: bigint[] = [];
    for (let next = at; next < end && batch.length < PAGES_PER_CALL; next = (next / page + 1n) * page) batch.push(next);
    const codes = probeMany(BigUint64Array.from(batch), pid === undefined ? undefined : { pid });
    const index = codes.findIndex((code) => code !== ProbeCode.readable);
    if (index >= 0) return { address: batch[index], state: STATES[codes[index]] };
    at = (batch[batch.length - 1] / page + 1n) * page;
  }
  return null;
}

/** --symbols for a command with a target: `{ symbol }` for its JSON, ` (module!symbol)` beside an address in text. */
function symbolsFor(values: ParsedValues, pid: number | undefined): { json(address: bigint): { symbol?: string | null }; text(address: bigint): string } {
  const symbols = values.symbols === true;
  return {
    json: (address) => (symbols ? { symbol: symbolOf(address, pid) } : {}),
    text: (address) => (symbols ? ` (${symbolOf(address, pid) ?? '?'})` : ''),
  };
}

/** @internal */
export const probeCommand: Command = {
  usage: `probe <address> [length] (${TARGET_USAGE}) [--symbols] [--json]`,
  summary: 'what a read finds at an address: readable, protected, unmapped or noncanonical',
  help: [
    '  address    a number or an address expression (libc.so.6+0x1000; memprobe --help says which)',
    '  length     check every page of [address, address + length)',
    '  --pid N    the process (readable = a process_vm_readv read succeeded)',
    "  --self     this command's own process (a guarded load)",
    symbolsHelp(13),
    '  --json     the verdict as JSON',
    'Always exits 0: the state is the answer.',
  ].join('\n'),
  examples: ['probe 0x7f3a1c2e4000 --pid 1234', 'probe 0 --self', 'probe 0x55d0c0a3e000 8192 --pid 1234 --json', "probe 'libc.so.6!malloc' --pid 1234 --symbols"],
  options: { ...TARGET_OPTIONS, ...SYMBOLS_OPTION, json: { type: 'boolean' } },
  positionals: 2,
  requiredPositionals: 1,
  run(values, positionals, out, context) {
    const pid = targetOf(values);
    const address = parseAddress(positionals[0], 'the address', pid, context.err);
    const length = positionals[1] === undefined ? undefined : parseCount(positionals[1], 'the length', 0, Number.MAX_SAFE_INTEGER);
    if (length !== undefined && address + BigInt(length) > 1n << 64n) throw new UsageError('address + length passes 2^64');
    const beside = symbolsFor(values, pid);
    if (length === undefined) {
      const state = pid === undefined ? probe(address) : STATES[probeMany(BigUint64Array.of(address), { pid })[0]];
      out.write(values.json ? toJson({ address, ...beside.json(address), state }) : `${formatAddress(address)}${beside.text(address)}: ${state}\n`);
      return 0;
    }
    const stop = firstUnreadable(address, length, pid);
    const readable = stop === null;
    if (values.json) {
      const firstUnreadable = stop === null ? null : { address: stop.address, ...beside.json(stop.address), state: stop.state };
      out.write(toJson({ address, ...beside.json(address), length, readable, firstUnreadable }));
    } else {
      const where = stop === null ? '' : `: ${formatAddress(stop.address)}${beside.text(stop.address)} is ${stop.state}`;
      out.write(`${formatAddress(address)}${beside.text(address)} +${length}: ${readable ? 'readable' : `not readable${where}`}\n`);
    }
    return 0;
  },
};

const POINTER_SIZE = 8;

/** @internal */
export const readCommand: Command = {
  usage: `read <address> <length> (${TARGET_USAGE}) [--follow] [--symbols] [--color W] [--json]`,
  summary: "read memory and show it in xxd's layout; on a fault, the readable prefix and the fault",
  help: [
    "  address, length  a number (0x… hex, bare hex, decimal) or, for the address, an expression ('libc.so.6!malloc', libc.so.6+0x1000: see memprobe --help); length at most 16 MiB",
    '  --pid N          the process, read through process_vm_readv',
    "  --self           this command's own process",
    '  --follow         with length 8: read the pointer found there as well, 8 bytes at where it points',
    symbolsHelp(19, 'the address read (a line before the bytes)'),
    '  --json           address, bytes (hex) and fault as JSON; with --follow the second read as "follow"',
    '  --color W        auto (default), always or never: color the bytes as xxd -R colors them; auto colors a',
    '                   terminal unless NO_COLOR is set, and FORCE_COLOR forces it',
    'On a fault the readable prefix goes to stdout, the fault to stderr, and the exit status is 1 (a pointer that ' +
      '--follow cannot read through is a fault too).',
  ].join('\n'),
  examples: [
    'maps --pid 1234   (then, with an address from its output:)',
    'read 0x55d0c0a3e000 64 --pid 1234',
    'read 7f3a1c2e4000 16 --pid 1234 --json',
    "read 'libc.so.6!malloc' 32 --pid 1234",
    'read 0x55d0c0a3e008 8 --follow --symbols --pid 1234',
  ],
  options: { ...TARGET_OPTIONS, follow: { type: 'boolean' }, ...SYMBOLS_OPTION, ...COLOR_OPTION, json: { type: 'boolean' } },
  positionals: 2,
  requiredPositionals: 2,
  run(values, positionals, out, context) {
    const pid = targetOf(values);
    const address = parseAddress(positionals[0], 'the address', pid, context.err);
    const length = parseCount(positionals[1], 'the length', 0, MAX_READ);
    if (address + BigInt(length) > 1n << 64n) throw new UsageError('address + length passes 2^64');
    if (values.follow && length !== POINTER_SIZE) throw new UsageError(`--follow reads through a pointer: the length must be ${POINTER_SIZE}. Received ${length}`);
    const beside = symbolsFor(values, pid);
    const symbols = values.symbols === true;
    const ansi = values.json ? false : colorWanted(values.color, out);
    const options = pid === undefined ? undefined : { pid };
    const result = safeRead(address, length, options);
    const pointer = values.follow && result.fault === null ? result.data.readBigUInt64LE(0) : undefined;
    const target = pointer === undefined ? undefined : safeRead(pointer, POINTER_SIZE, options);
    if (values.json) {
      const block = (at: bigint, read: typeof result): object => ({ address: at, ...beside.json(at), bytesRead: read.bytesCopied, data: read.data.toString('hex'), fault: read.fault });
      const follow = values.follow ? { follow: pointer === undefined || target === undefined ? null : block(pointer, target) } : {};
      out.write(toJson({ address, ...beside.json(address), length, bytesRead: result.bytesCopied, data: result.data.toString('hex'), fault: result.fault, ...follow }));
    } else {
      if (symbols) out.write(`${formatAddress(address)}${beside.text(address)}\n`);
      out.write(hexdump(result.data, { offset: address, ansi }));
      if (pointer !== undefined && target !== undefined) {
        out.write(`-> ${formatAddress(pointer)}${beside.text(pointer)}\n`);
        out.write(hexdump(target.data, { offset: pointer, ansi }));
      }
    }
    const report = (read: typeof result, wanted: number, after = ''): number => {
      if (read.fault === null) return 0;
      context.err.write(`memprobe read: ${read.fault.code} at ${formatAddress(read.fault.address)}${beside.text(read.fault.address)} after ${read.bytesCopied} of ${wanted} bytes${after}\n`);
      return 1;
    };
    if (report(result, length) !== 0) return 1;
    return target === undefined || pointer === undefined ? 0 : report(target, POINTER_SIZE, ` (following the pointer at ${formatAddress(address)})`);
  },
};

/** @internal */
export const mapsCommand: Command = {
  usage: `maps (${TARGET_USAGE}) [--json]`,
  summary: 'the mappings of a process, parsed from /proc/<pid>/maps',
  help: ["  --pid N  the process", "  --self   this command's own process", '  --json   the mappings as JSON (addresses padded, the file offset not: 0x1000)'].join('\n'),
  examples: ['maps --pid 1234', 'maps --pid 1234 --json'],
  options: { ...TARGET_OPTIONS, json: { type: 'boolean' } },
  run(values, _positionals, out) {
    const entries = readMaps(targetOf(values));
    if (values.json) {
      out.write(toJson(entries.map((entry) => ({ ...entry, offset: formatOffset(entry.offset) }))));
      return 0;
    }
    const rows = entries.map((entry) => [
      formatAddress(entry.start),
      formatAddress(entry.end),
      entry.perms,
      formatSize(entry.end - entry.start),
      entry.offset.toString(16),
      entry.device,
      String(entry.inode),
      entry.path,
    ]);
    out.write(formatTable(['START', 'END', 'PERMS', 'SIZE', 'OFFSET', 'DEVICE', 'INODE', 'PATH'], rows));
    return 0;
  },
};
