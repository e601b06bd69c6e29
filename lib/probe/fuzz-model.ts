// What /proc/self/maps says a copy must do: the model the fuzzer checks every copy against. It knows nothing of
// how memprobe copies; it reads the kernel's lists (maps, and on a disagreement pagemap and the mapped file's
// size), so a disagreement is a bug in one of the two, never the model agreeing with itself.
import * as fs from 'node:fs';

import type { MapEntry } from './probe';
import { parseMaps } from './probe';
import { guardRegionBits, mappedFileSize } from './page-facts';
import { binding } from '../common/native';
import type { FaultCode, Strategy } from '../common/types';

/**
 * What the maps say about one page. 'uncertain': the maps cannot tell ([vvar] pages; '--x' with protection keys).
 * 'past-eof': a file mapping's page past the end of its file.
 * @group Probing and fuzzing
 */
export type MapsVerdict = 'readable' | 'protected' | 'unmapped' | 'noncanonical' | 'past-eof' | 'uncertain';

// The machine's address space (native/memory/arch.h). x64: [USER_END, KERNEL_START) is the non-canonical gap,
// the kernel half above it. arm64: no non-canonical class (all of it is unmapped to a load), and top-byte-ignore:
// bits 63..56 are not translated, bit 55 picks the kernel's half, so a tagged address reads its untagged memory.
const { userAddressEnd: USER_END, nonCanonicalAddresses: NONCANONICAL_GAP, topByteIgnore: TOP_BYTE_IGNORE } = binding.machine;
const KERNEL_START = (1n << 64n) - USER_END;
const TAG_MASK = (1n << 56n) - 1n;
const KERNEL_HALF_BIT = 1n << 55n;
// Whether a '--x' page may fault a load: x64 with protection keys on (the kernel gives PROT_EXEC alone a key that
// denies reads), arm64 where the kernel makes it execute-only (6.2+ with EPAN); the addon asks the machine.
const EXECUTE_ONLY = binding.machine.executeOnlyPages;

/** @internal */
export interface Expectation {
  /** the copy must copy at least this many bytes … */
  min: number;
  /** … and at most this many */
  max: number;
  /** the maps' verdict for the page where the readable prefix ends (null when all of it is readable) */
  verdict: MapsVerdict | null;
}

/** The signal strategy's fault codes each verdict allows. */
const SIGNAL_CODES: Record<Exclude<MapsVerdict, 'readable' | 'uncertain'>, readonly FaultCode[]> = {
  protected: ['SEGV_ACCERR', 'SEGV_PKUERR'],
  unmapped: ['SEGV_MAPERR'],
  noncanonical: ['NONCANONICAL'],
  'past-eof': ['BUS_ADRERR'],
};

/** @internal */
export class MapsModel {
  private entries: MapEntry[] = [];
  private readonly page: bigint;
  /** refined verdicts for single pages (guard regions, pages past a file's end), valid until the next refresh */
  private readonly refined = new Map<bigint, MapsVerdict>();

  constructor(pageSize: number) {
    this.page = BigInt(pageSize);
    this.refresh();
  }

  refresh(): void {
    this.entries = parseMaps(fs.readFileSync('/proc/self/maps', 'utf8'));
    this.refined.clear();
  }

  /** The first entry for which `before` is false (the entries are sorted, and `before` is true of a prefix). */
  private firstEntryNotBefore(before: (entry: MapEntry) => boolean): MapEntry | undefined {
    const entries = this.entries;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(entries[middle])) low = middle + 1;
      else high = middle;
    }
    return entries[low];
  }

  private entryAt(address: bigint): MapEntry | undefined {
    const entry = this.firstEntryNotBefore((candidate) => candidate.end <= address);
    return entry !== undefined && entry.start <= address ? entry : undefined;
  }

  /** The entries that overlap [first, end), in address order. */
  private entriesOver(first: bigint, end: bigint): MapEntry[] {
    const over: MapEntry[] = [];
    for (let entry = this.entryAt(first) ?? this.entryAfter(first); entry !== undefined && entry.start < end; entry = this.entryAfter(entry.end)) {
      over.push(entry);
    }
    return over;
  }

  /** The maps' verdict for the page holding `address`, for a read by `strategy`. */
  verdict(address: bigint, strategy: Strategy): MapsVerdict {
    if (TOP_BYTE_IGNORE) {
      if (address & KERNEL_HALF_BIT) return 'unmapped';  // the kernel half
      address &= TAG_MASK;
    }
    if (address >= USER_END && address < KERNEL_START) return NONCANONICAL_GAP ? 'noncanonical' : 'unmapped';
    if (address >= KERNEL_START) return 'unmapped';  // the kernel half, [vsyscall] included: user reads fault there
    const page = address - (address % this.page);
    const refined = this.refined.get(page);
    if (refined !== undefined) return refined;
    const entry = this.entryAt(address);
    if (entry === undefined) return 'unmapped';  // the gap below [stack] too: not listed, not readable
    if (entry.path.startsWith('[vvar')) return 'uncertain';  // some of its pages raise SIGBUS, which ones the maps do not say
    const [r, w, x] = [entry.perms[0] === 'r', entry.perms[1] === 'w', entry.perms[2] === 'x'];
    if (strategy === 'syscall') return r ? 'readable' : 'protected';  // process_vm_readv wants VM_READ
    if (r || w) return 'readable';  // x86 has no write-only pages
    // Execute-only: the maps cannot tell a '--x' page a load may read from one it may not (protection keys).
    if (x) return EXECUTE_ONLY ? 'uncertain' : 'readable';
    return 'protected';
  }

  /**
   * The bytes of [address, address + length) a copy by `strategy` must copy. Uncertain pages widen the window:
   * the prefix may end at one of them or go on through it.
   */
  expect(address: bigint, length: number, strategy: Strategy): Expectation {
    const end = address + BigInt(length);
    let min: number | null = null;
    let position = address;
    while (position < end) {
      const verdict = this.verdict(position, strategy);
      const offset = Number(position - address);
      if (verdict === 'uncertain') {
        min ??= offset;
      } else if (verdict !== 'readable') {
        return { min: min ?? offset, max: offset, verdict };
      }
      const next = position - (position % this.page) + this.page;
      position = next < end ? next : end;
    }
    return { min: min ?? length, max: length, verdict: null };
  }

  /** Whether a fault code fits the maps' verdict for the page it was reported at. */
  static codeFits(code: FaultCode, verdict: MapsVerdict, strategy: Strategy): boolean {
    if (strategy === 'syscall') return code === 'EFAULT';
    if (verdict === 'uncertain') return true;
    if (verdict === 'readable') return false;
    return SIGNAL_CODES[verdict].includes(code);
  }

  /**
   * Looks closer at a page the maps call readable where a copy stopped, with two more kernel lists: pagemap (a guard
   * region inside the mapping) and the mapped file's size (a page past its end). Remembers what it finds.
   */
  refine(address: bigint): void {
    this.refineRange(address - (address % this.page), 1);
  }

  /**
   * refine() for every listed page of [address, address + length) (at least the page holding `address`), with one
   * read of pagemap and one look at each mapped file's size.
   */
  refineRange(address: bigint, length: number): void {
    const [first, end] = this.pageSpan(address, length);
    if (first >= end) return;
    const guards = guardRegionBits(0, first, end, this.page);
    const sizes = new Map<MapEntry, bigint | null>();
    for (let page = first, index = 0; page < end; page += this.page, index++) {
      const entry = this.entryAt(page);
      if (entry === undefined || this.refined.has(page)) continue;
      if (guards[index]) {
        this.refined.set(page, 'unmapped');
        continue;
      }
      if (!sizes.has(entry)) sizes.set(entry, mappedFileSize(0, entry, this.page));
      const size = sizes.get(entry) ?? null;
      if (size !== null && entry.offset + (page - entry.start) >= size) this.refined.set(page, 'past-eof');
    }
  }

  /**
   * What this read of the maps (and the refinements made since) says about the pages of [address, address + length):
   * the mappings over them, clipped to them, and the refined pages. Two reads with equal views give every case in
   * that range the same expectation, so a copy made between them is judged by what was there while it ran.
   */
  view(address: bigint, length: number): string {
    const [first, end] = this.pageSpan(address, length);
    const parts: string[] = [];
    for (const entry of this.entriesOver(first, end)) {
      const start = entry.start > first ? entry.start : first;
      const stop = entry.end < end ? entry.end : end;
      parts.push(`${start.toString(16)}-${stop.toString(16)} ${entry.perms} ${(entry.offset + start - entry.start).toString(16)} ${entry.device} ${entry.inode} ${entry.path}`);
    }
    for (const [page, verdict] of this.refined) if (page >= first && page < end) parts.push(`${page.toString(16)} ${verdict}`);
    return parts.sort().join('\n');
  }

  /**
   * The mappings over the pages of [address, address + length) as this read of the maps lists them: bounds and
   * permissions, in the form {@link MapsModel.queriedView} gives the kernel's answer of the moment in.
   */
  mappingsView(address: bigint, length: number): string {
    const [first, end] = this.pageSpan(address, length);
    return this.entriesOver(first, end)
      .map((entry) => `${entry.start.toString(16)}-${entry.end.toString(16)} ${entry.perms}`)
      .join('\n');
  }

  /**
   * The same, asked of the kernel now, one system call per mapping (PROCMAP_QUERY): microseconds, where a read of
   * the maps takes a millisecond or more. Null where the kernel cannot answer (before Linux 6.11).
   */
  queriedView(address: bigint, length: number): string | null {
    const [first, end] = this.pageSpan(address, length);
    if (first >= end) return '';
    const found = binding.queryMappings(first, end);
    if (found === null) return null;
    const parts: string[] = [];
    for (let i = 0; i < found.length; i += 3) {
      const flags = found[i + 2];
      const perms = `${flags & 1n ? 'r' : '-'}${flags & 2n ? 'w' : '-'}${flags & 4n ? 'x' : '-'}${flags & 8n ? 's' : 'p'}`;
      parts.push(`${found[i].toString(16)}-${found[i + 1].toString(16)} ${perms}`);
    }
    return parts.join('\n');
  }

  /** The user-space pages [first, end) that [address, address + max(length, 1)) touches. */
  private pageSpan(address: bigint, length: number): [bigint, bigint] {
    const first = address - (address % this.page);
    const last = address + BigInt(Math.max(length, 1));
    const end = ((last + this.page - 1n) / this.page) * this.page;
    return [first < USER_END ? first : USER_END, end < USER_END ? end : USER_END];
  }

  private entryAfter(address: bigint): MapEntry | undefined {
    return this.firstEntryNotBefore((candidate) => candidate.start < address);
  }
}
