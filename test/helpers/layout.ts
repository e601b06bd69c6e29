// Mappings laid out page by page (rw | r | none | unmapped), filled with a known pattern, and the model of
// what a copy over them must do: the readable or writable prefix and the fault that ends it.
import { mapPages, pageSize, safeMemcpy, type Mapping } from '../../lib';

export type PageKind = 'rw' | 'r' | 'none' | 'unmapped';

/** The byte the pattern puts at `offset` of a layout. */
export function patternByte(offset: number): number {
  return (offset * 7 + (offset >> 12) * 13 + 1) & 0xff;
}

export class Layout {
  readonly mapping: Mapping;
  readonly kinds: readonly PageKind[];

  constructor(kinds: readonly PageKind[]) {
    this.kinds = kinds;
    this.mapping = mapPages(kinds.length, 'rw');
    const bytes = Buffer.alloc(kinds.length * pageSize);
    for (let i = 0; i < bytes.length; i++) bytes[i] = patternByte(i);
    const filled = safeMemcpy(this.mapping.address, bytes, bytes.length);
    if (!filled.ok) throw new Error('could not fill the layout');
    kinds.forEach((kind, page) => {
      if (kind === 'unmapped') this.mapping.unmap(page * pageSize, pageSize);
      else if (kind !== 'rw') this.mapping.protect(page * pageSize, pageSize, kind);
    });
  }

  get address(): bigint {
    return this.mapping.address;
  }

  get size(): number {
    return this.kinds.length * pageSize;
  }

  /** Bytes from `offset` (of at most `length`) that can be read before the first page that cannot. */
  readablePrefix(offset: number, length: number): number {
    return this.prefix(offset, length, (kind) => kind === 'rw' || kind === 'r');
  }

  writablePrefix(offset: number, length: number): number {
    return this.prefix(offset, length, (kind) => kind === 'rw');
  }

  /** The fault code the signal strategy reports for a page. */
  faultCode(offset: number): 'SEGV_MAPERR' | 'SEGV_ACCERR' {
    return this.kinds[Math.floor(offset / pageSize)] === 'unmapped' ? 'SEGV_MAPERR' : 'SEGV_ACCERR';
  }

  release(): void {
    this.mapping.unmap();
  }

  private prefix(offset: number, length: number, ok: (kind: PageKind) => boolean): number {
    let position = offset;
    const end = offset + length;
    while (position < end) {
      const page = Math.floor(position / pageSize);
      if (page >= this.kinds.length || !ok(this.kinds[page])) break;
      position = Math.min(end, (page + 1) * pageSize);
    }
    return position - offset;
  }
}

export function expectedPattern(offset: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = patternByte(offset + i);
  return bytes;
}
