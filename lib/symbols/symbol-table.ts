// The symbols of one object, indexed both ways: by address (sorted typed arrays and a binary search, so naming an
// address costs a few comparisons and no allocation until the answer) and by name (a Map built on the first lookup
// by name, since most uses need only one of the two). Addresses here are the object's own (st_value): the caller
// adds the load bias.
//
// Which symbols count: defined (not SHN_UNDEF, not SHN_ABS: an absolute value is no place in the image) functions,
// objects, GNU indirect functions and untyped labels; never sections, files, TLS (an offset in a thread's block, not
// an address) or common symbols. Names starting with '$' are ARM mapping symbols ($x, $d), not names of code.
import type { RawSymbolTable } from './elf';

const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_LOCAL = 0;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const VERSYM_HIDDEN = 0x8000;
/** How many symbols before an address are looked at for one that encloses it. */
const LOOK_BACK = 64;

const LOCAL_RANK = 4;
const SYMBOL_SIZE = 24;

/** A symbol's rank among same-named ones: lower wins (global before local, default version before hidden, typed before untyped). */
function rankOf(bind: number, type: number, hidden: boolean): number {
  return (bind === STB_LOCAL ? LOCAL_RANK : 0) + (hidden ? 2 : 0) + (type === STT_NOTYPE ? 1 : 0);
}

/** @internal A symbol found by address: its name, the object-relative address it starts at. */
export interface SymbolHit {
  name: string;
  value: number;
}

/** @internal The symbols of one object. */
export class SymbolTable {
  /** how many symbols the tables held that count (after dropping duplicates of one address and name) */
  readonly count: number;
  /** which tables the object has: a stripped object has 'dynsym' only */
  readonly kinds: ReadonlyArray<'dynsym' | 'symtab'>;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly ranks: Uint8Array;
  private readonly nameOffsets: Uint32Array;
  private readonly nameLengths: Uint32Array;
  private readonly nameTables: Uint8Array;
  private readonly stringTables: Buffer[];
  private readonly names: Array<string | undefined>;

  constructor(tables: RawSymbolTable[]) {
    this.kinds = tables.map((table) => table.kind);
    this.stringTables = tables.map((table) => table.names);
    // The symbols that count, in table order, into typed arrays (no object per symbol: node's tables hold 180,000).
    const capacity = tables.reduce((total, table) => total + table.count, 0);
    const starts = new Float64Array(capacity);
    const ends = new Float64Array(capacity);
    const ranks = new Uint8Array(capacity);
    const nameOffsets = new Uint32Array(capacity);
    const nameLengths = new Uint32Array(capacity);
    const nameTables = new Uint8Array(capacity);
    let count = 0;
    tables.forEach((table, t) => {
      const { entries, names, versions } = table;
      for (let i = 1; i < table.count; i++) {  // entry 0 is the reserved null symbol
        const at = i * SYMBOL_SIZE;
        const info = entries[at + 4];
        const type = info & 0xf;
        if (type !== STT_FUNC && type !== STT_OBJECT && type !== STT_GNU_IFUNC && type !== STT_NOTYPE) continue;
        const section = entries.readUInt16LE(at + 6);
        const name = entries.readUInt32LE(at);
        if (section === SHN_UNDEF || section === SHN_ABS || name === 0 || name >= names.length || names[name] === 0x24 /* '$' */) continue;
        const value = entries.readUInt32LE(at + 8) + entries.readUInt32LE(at + 12) * 2 ** 32;
        const size = entries.readUInt32LE(at + 16) + entries.readUInt32LE(at + 20) * 2 ** 32;
        const hidden = versions !== null && (versions.readUInt16LE(i * 2) & VERSYM_HIDDEN) !== 0;
        const end = names.indexOf(0, name);
        starts[count] = value;
        ends[count] = value + size;
        ranks[count] = rankOf(info >> 4, type, hidden);
        nameOffsets[count] = name;
        nameLengths[count] = (end < 0 ? names.length : end) - name;
        nameTables[count] = t;
        count++;
      }
    });
    // By address; at one address the best-ranked first, so that naming an address prefers malloc to a local alias
    // of it, and a typed symbol to a label.
    const order = sortedOrder(starts, ranks, count);
    this.starts = permute(starts, order, new Float64Array(count));
    this.ends = permute(ends, order, new Float64Array(count));
    this.ranks = permute(ranks, order, new Uint8Array(count));
    this.nameOffsets = permute(nameOffsets, order, new Uint32Array(count));
    this.nameLengths = permute(nameLengths, order, new Uint32Array(count));
    this.nameTables = permute(nameTables, order, new Uint8Array(count));
    this.names = new Array<string | undefined>(count);
    this.count = count;
  }

  private nameAt(i: number): string {
    let name = this.names[i];
    if (name === undefined) {
      const start = this.nameOffsets[i];
      name = this.stringTables[this.nameTables[i]].toString('utf8', start, start + this.nameLengths[i]);
      this.names[i] = name;
    }
    return name;
  }

  /**
   * The symbol that covers object address `address` (start <= address < start + size), or a zero-size symbol exactly
   * at it; among several at one start, the best-ranked. Null when none does.
   */
  lookup(address: number): SymbolHit | null {
    const starts = this.starts;
    const low = lastAtOrBefore(starts, address) + 1;  // past the last symbol starting at or before the address
    if (low === 0) return null;
    // The symbols at that start, best-ranked first (the sort's order), then those at earlier starts, for one that
    // encloses a smaller symbol the address lies past (a function holding a local label): the first that covers it.
    // The walk back is bounded, so an address in a large gap costs a few steps, not a scan.
    let last = low - 1;
    for (let examined = 0; last >= 0 && examined < LOOK_BACK;) {
      let first = last;
      while (first > 0 && starts[first - 1] === starts[last]) first--;
      for (let i = first; i <= last; i++) {
        const end = this.ends[i];
        if (end > address || (end === starts[i] && end === address)) return { name: this.nameAt(i), value: starts[i] };
      }
      examined += last - first + 1;
      last = first - 1;
    }
    return null;
  }

  /**
   * The best-ranked symbol named `name`: its object address and whether it is global (or weak), or null. A scan
   * comparing bytes of names of the right length: a millisecond over node's 180,000 symbols, where building a map of
   * every name would cost a quarter of a second before the first answer.
   */
  find(name: string): { value: number; global: boolean } | null {
    const wanted = Buffer.from(name, 'utf8');
    const length = wanted.length;
    const first = wanted[0];
    let best = -1;
    for (let i = 0; i < this.count; i++) {
      if (this.nameLengths[i] !== length) continue;
      const strings = this.stringTables[this.nameTables[i]];
      const start = this.nameOffsets[i];
      if (strings[start] !== first || strings.compare(wanted, 0, length, start, start + length) !== 0) continue;
      if (best < 0 || this.ranks[i] < this.ranks[best]) best = i;
    }
    return best < 0 ? null : { value: this.starts[best], global: this.ranks[best] < LOCAL_RANK };
  }
}

/** @internal The index of the last of `sorted` (ascending) that is at most `value`, or -1 when none is. */
export function lastAtOrBefore(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] <= value) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/**
 * The order that sorts symbols by start, then rank. Where start, rank and index fit in 64 bits together (any object
 * under 2^40 bytes of addresses) one numeric sort of packed keys does it; otherwise a comparison sort.
 */
function sortedOrder(starts: Float64Array, ranks: Uint8Array, count: number): Uint32Array {
  const indexBits = Math.max(1, Math.ceil(Math.log2(count + 1)));
  const startBits = 64 - 3 - indexBits;
  let top = 0;
  for (let i = 0; i < count; i++) top = Math.max(top, starts[i]);
  const order = new Uint32Array(count);
  if (top < 2 ** startBits) {
    const keys = new BigUint64Array(count);
    const indexShift = BigInt(indexBits);
    for (let i = 0; i < count; i++) keys[i] = (((BigInt(starts[i]) << 3n) | BigInt(ranks[i])) << indexShift) | BigInt(i);
    keys.sort();
    const mask = (1n << indexShift) - 1n;
    for (let i = 0; i < count; i++) order[i] = Number(keys[i] & mask);
    return order;
  }
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => starts[a] - starts[b] || ranks[a] - ranks[b] || a - b);
}

function permute<T extends Float64Array | Uint32Array | Uint8Array>(from: T, order: Uint32Array, to: T): T {
  for (let i = 0; i < order.length; i++) to[i] = from[order[i]];
  return to;
}
