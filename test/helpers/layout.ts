// Mappings laid out page by page (rw | r | none | unmapped), filled with a known pattern, and the model of
// what a copy over them must do: the readable or writable prefix and the fault that ends it.
import * as fs from 'node:fs';

import { mapPages, pageSize, safeMemcpy, type FaultCode, type Mapping, type PageState } from '../../lib';
import { binding } from '../../lib/common/native';

export type PageKind = 'rw' | 'r' | 'none' | 'unmapped';

/**
 * What a copy and probe say of an address between the user and the kernel halves (2^47 … 2^64 - 2^47): x86-64
 * calls it non-canonical; a machine without that class (arm64) has there unmapped user addresses or addresses
 * past the user address space, which fault as unmapped (SEGV_MAPERR, at the address requested).
 */
export const BETWEEN_HALVES: { code: FaultCode; verdict: PageState } = binding.machine.nonCanonicalAddresses
  ? { code: 'NONCANONICAL', verdict: 'noncanonical' }
  : { code: 'SEGV_MAPERR', verdict: 'unmapped' };

/** The byte the pattern puts at `offset` of a layout. */
export function patternByte(offset: number): number {
  return (offset * 7 + (offset >> 12) * 13 + 1) & 0xff;
}

function prefix(kinds: readonly PageKind[], offset: number, length: number, ok: (kind: PageKind) => boolean): number {
  let position = offset;
  const end = offset + length;
  while (position < end) {
    const page = Math.floor(position / pageSize);
    if (page >= kinds.length || !ok(kinds[page])) break;
    position = Math.min(end, (page + 1) * pageSize);
  }
  return position - offset;
}

/** Bytes from `offset` (of at most `length`) that can be read before the first page that cannot. */
export function readablePrefix(kinds: readonly PageKind[], offset: number, length: number): number {
  return prefix(kinds, offset, length, (kind) => kind === 'rw' || kind === 'r');
}

export function writablePrefix(kinds: readonly PageKind[], offset: number, length: number): number {
  return prefix(kinds, offset, length, (kind) => kind === 'rw');
}

// The pages sit between two PROT_NONE fence pages that stay mapped: an unmapped page of the layout is then
// always a hole inside our own mappings. At an edge it would merge with the free space next to it, and the
// kernel would hand it to the next mmap (seen: the next layout landing half on top of this one). A hole is
// still free address space, so layouts used together are made together (Layout.many): all mapped first,
// holes punched last.
export class Layout {
  readonly kinds: readonly PageKind[];
  private readonly mapping: Mapping;

  constructor(kinds: readonly PageKind[], holesLater = false) {
    this.kinds = kinds;
    this.mapping = mapPages(kinds.length + 2, 'rw');
    const bytes = Buffer.alloc(kinds.length * pageSize);
    for (let i = 0; i < bytes.length; i++) bytes[i] = patternByte(i);
    const filled = safeMemcpy(this.address, bytes, bytes.length);
    if (!filled.ok) throw new Error('could not fill the layout');
    this.mapping.protect(0, pageSize, 'none');
    this.mapping.protect((kinds.length + 1) * pageSize, pageSize, 'none');
    if (!holesLater) this.applyKinds();
  }

  /** Several layouts, every one mapped before any page of them is unmapped. */
  static many(...lists: ReadonlyArray<readonly PageKind[]>): Layout[] {
    const layouts = lists.map((kinds) => new Layout(kinds, true));
    layouts.forEach((layout) => layout.applyKinds());
    return layouts;
  }

  private applyKinds(): void {
    this.kinds.forEach((kind, index) => {
      const offset = (index + 1) * pageSize;
      if (kind === 'unmapped') this.mapping.unmap(offset, pageSize);
      else if (kind !== 'rw') this.mapping.protect(offset, pageSize, kind);
    });
  }

  /** The first byte of the first page of the layout. */
  get address(): bigint {
    return this.mapping.address + BigInt(pageSize);
  }

  get size(): number {
    return this.kinds.length * pageSize;
  }

  readablePrefix(offset: number, length: number): number {
    return readablePrefix(this.kinds, offset, length);
  }

  writablePrefix(offset: number, length: number): number {
    return writablePrefix(this.kinds, offset, length);
  }

  /** The fault code the signal strategy reports for the page at `offset` (a fence page past the end is PROT_NONE). */
  faultCode(offset: number): 'SEGV_MAPERR' | 'SEGV_ACCERR' {
    return this.kinds[Math.floor(offset / pageSize)] === 'unmapped' ? 'SEGV_MAPERR' : 'SEGV_ACCERR';
  }

  release(): void {
    this.mapping.unmap();
  }
}

export function expectedPattern(offset: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = patternByte(offset + i);
  return bytes;
}

/** The first byte of this process's [stack] mapping; the gap the stack could grow into lies below it. */
export function stackStart(): bigint {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[stack]'));
  if (line === undefined) throw new Error('no [stack] in /proc/self/maps');
  return BigInt('0x' + line.split('-')[0]);
}
