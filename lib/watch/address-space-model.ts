// What the address-space picture shows, gathered from the kernel's lists and a scan: every mapping of the user half
// cut into runs of pages with one verdict (readable, protected, an unmapped guard region, past the end of its
// file), the mappings grouped under the module or name they belong to. Pure data: drawing it is
// address-space-svg.ts's job, so that a snapshot drawn twice gives the same SVG.
import { pageSize } from '../memory/copy';
import { guardRegionBits, mappedFileSize } from '../probe/page-facts';
import type { MapEntry, Range } from '../probe/probe';
import type { Module } from '../symbols/modules';

/**
 * @internal A page's verdict in the picture: 'readable' (a read succeeded), 'protected' (listed, not readable),
 * 'guard' (an unmapped guard region inside a listed mapping: MADV_GUARD_INSTALL), 'past-eof' (a file mapping's
 * page past the end of its file: a read raises SIGBUS).
 */
export type PageVerdict = 'readable' | 'protected' | 'guard' | 'past-eof';

/** @internal [start, end) with one verdict. */
export interface Run {
  start: bigint;
  end: bigint;
  verdict: PageVerdict;
}

/** @internal One line of the maps, cut into runs. */
export interface DrawnMapping {
  entry: MapEntry;
  runs: Run[];
}

/** @internal Consecutive mappings under one name: a module (its internal holes included), or a run of contiguous
 * mappings of the same file or kind. */
export interface Region {
  /** what the picture writes: a module's or file's name, '[heap]', 'anonymous' */
  label: string;
  /** the full path, for the tooltip ('' for anonymous memory) */
  path: string;
  /** module, file (not an ELF object), special ([heap], [stack], [vdso], [anon:…]) or anonymous */
  kind: 'module' | 'file' | 'special' | 'anonymous';
  mappings: DrawnMapping[];
}

/** @internal Everything one picture shows, with no reference to the live process. */
export interface AddressSpaceSnapshot {
  /** the first line of the picture, e.g. 'process 1234 (node)' */
  title: string;
  /** where the user half ends (2^47 on x86-64, 2^48 on arm64) */
  userEnd: bigint;
  pageSize: number;
  regions: Region[];
}

/** Pages of a not-readable run looked at one by one for guard regions at most; longer runs are called protected. */
const MAX_REFINED_PAGES = 1 << 16;

/** @internal The index of the first of `sorted` (in address order, not overlapping) that ends after `address`. */
export function firstEndingAfter(sorted: ReadonlyArray<{ end: bigint }>, address: bigint): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle].end <= address) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The readable parts of [start, end), from sorted, merged ranges. */
function readableParts(start: bigint, end: bigint, readable: readonly Range[]): Range[] {
  const parts: Range[] = [];
  const low = firstEndingAfter(readable, start);
  for (let i = low; i < readable.length && readable[i].start < end; i++) {
    const from = readable[i].start > start ? readable[i].start : start;
    const to = readable[i].end < end ? readable[i].end : end;
    if (from < to) parts.push({ start: from, end: to });
  }
  return parts;
}

/** The verdicts of a run of pages a read did not find readable, in a mapping whose permissions say it should be. */
function refine(pid: number, entry: MapEntry, start: bigint, end: bigint, page: bigint): Run[] {
  const size = mappedFileSize(pid, entry, page);
  // Pages at file offsets from `size` on lie past the end of the file.
  const eofAt = size === null ? end : entry.start + (size - entry.offset);
  const runs: Run[] = [];
  const add = (from: bigint, to: bigint, verdict: PageVerdict): void => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.verdict === verdict && last.end === from) last.end = to;
    else if (from < to) runs.push({ start: from, end: to, verdict });
  };
  if ((end - start) / page > BigInt(MAX_REFINED_PAGES)) {
    // Too long to look at page by page: the file's end alone divides it.
    const split = eofAt < start ? start : eofAt > end ? end : eofAt;
    add(start, split, 'protected');
    add(split, end, 'past-eof');
    return runs;
  }
  const guards = guardRegionBits(pid, start, end, page);
  for (let i = 0, at = start; at < end; i++, at += page) add(at, at + page, guards[i] ? 'guard' : at >= eofAt ? 'past-eof' : 'protected');
  return runs;
}

/** @internal A mapping cut into runs: readable where `readable` says, the rest refined where its permissions say readable. */
export function cutMapping(pid: number, entry: MapEntry, readable: readonly Range[]): DrawnMapping {
  const page = BigInt(pageSize);
  const runs: Run[] = [];
  const mayRead = entry.perms[0] === 'r' || entry.perms[1] === 'w';
  const unreadable = (start: bigint, end: bigint): void => {
    if (start >= end) return;
    if (mayRead) runs.push(...refine(pid, entry, start, end, page));
    else runs.push({ start, end, verdict: 'protected' });
  };
  let at = entry.start;
  for (const part of readableParts(entry.start, entry.end, readable)) {
    unreadable(at, part.start);
    runs.push({ start: part.start, end: part.end, verdict: 'readable' });
    at = part.end;
  }
  unreadable(at, entry.end);
  return { entry, runs };
}

const SPECIAL = /^\[.*\]$/;

function basename(path: string): string {
  const plain = path.endsWith(' (deleted)') ? path.slice(0, -' (deleted)'.length) : path;
  return plain.slice(plain.lastIndexOf('/') + 1) || plain;
}

/** @internal What a mapping outside any module is called, and its kind. */
export function nameOf(entry: MapEntry): Pick<Region, 'label' | 'kind'> {
  if (entry.path === '') return { label: 'anonymous', kind: 'anonymous' };
  if (SPECIAL.test(entry.path)) return { label: entry.path, kind: 'special' };
  return { label: basename(entry.path), kind: 'file' };
}

/**
 * @internal The mappings of the user half grouped into regions: every mapping inside a module's [base, end) under
 * the module's name (holes and all), other mappings with the same name and no hole between them together.
 */
export function groupRegions(mappings: readonly DrawnMapping[], modules: readonly Module[]): Region[] {
  const sorted = [...modules].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  const moduleOf = (entry: MapEntry): Module | undefined => sorted.find((module) => entry.start >= module.base && entry.end <= module.end);
  const regions: Region[] = [];
  let current: { region: Region; module: Module | undefined } | undefined;
  for (const mapping of mappings) {
    const module = moduleOf(mapping.entry);
    const previous = current?.region.mappings[current.region.mappings.length - 1];
    if (module !== undefined && current?.module === module) {
      current.region.mappings.push(mapping);
      continue;
    }
    const { label, kind } = module !== undefined ? { label: module.name, kind: 'module' as const } : nameOf(mapping.entry);
    if (module === undefined && current !== undefined && current.module === undefined && current.region.label === label &&
        current.region.path === mapping.entry.path && previous?.entry.end === mapping.entry.start) {
      current.region.mappings.push(mapping);
      continue;
    }
    current = { region: { label, path: module?.path ?? mapping.entry.path, kind, mappings: [mapping] }, module };
    regions.push(current.region);
  }
  return regions;
}

/** @internal Sorted, merged copies of `ranges`. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: Range[] = [];
  for (const range of sorted) {
    if (range.start >= range.end) continue;
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end) {
      if (range.end > last.end) last.end = range.end;
    } else {
      merged.push({ start: range.start, end: range.end });
    }
  }
  return merged;
}
