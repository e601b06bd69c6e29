// Names for addresses and addresses for names, in this process or another: findSymbol and symbolize over the
// modules (lib/symbols/modules.ts) and their symbol tables (lib/symbols/object-files.ts). Each call reads the
// process's maps once, so an answer is right for the mappings of that moment; the parse of each object is cached
// (one per object), so naming many addresses in one call costs a binary search each.
import { invalidArgType } from '../common/errors';
import type { Address } from '../common/types';
import { toAddress } from '../probe/probe';
import { processOption } from '../common/validate';
import { loadedModules, moduleNamed, type LoadedModule } from './modules';
import { symbolTableOf } from './object-files';
import { lastAtOrBefore, type SymbolTable } from './symbol-table';

/**
 * What {@link symbolize} says about an address: `libc.so.6!malloc+0x10` as fields.
 * @group Modules and symbols
 */
export interface Symbolized {
  /** the module's name ({@link Module}.name) */
  module: string;
  /** the address minus the module's base */
  offset: bigint;
  /** the symbol that covers the address, or null where none does (or the module's file cannot be read) */
  symbol: string | null;
  /** the address minus the symbol's address, or null without a symbol */
  symbolOffset: bigint | null;
}

/**
 * Options of {@link findSymbol}.
 * @group Modules and symbols
 */
export interface FindSymbolOptions {
  /** only this module: a file name or a path, as {@link findModule} takes */
  module?: string;
  /** another process (default: this one) */
  pid?: number;
}

const FIND_OPTIONS = ['module', 'pid'];

/** @internal The address of `name` among `loaded` (all of them, or only `module`), or null. */
export function addressOfSymbol(loaded: LoadedModule[], name: string, module?: string): bigint | null {
  let candidates = loaded;
  if (module !== undefined) {
    const entry = moduleNamed(loaded, module);
    if (entry === undefined) return null;
    candidates = [entry];
  }
  // Global and weak symbols in every module before a local one anywhere, as a dynamic linker would resolve a name;
  // a local symbol (a static function, found only where .symtab survived) is the answer only when nothing exports it.
  let local: bigint | null = null;
  for (const entry of candidates) {
    const found = symbolTableOf(entry)?.find(name);
    if (!found) continue;
    const address = entry.bias + BigInt(found.value);
    if (found.global) return address;
    local ??= address;
  }
  return local;
}

/**
 * The address of a function or object by name, from the symbol tables of the objects a process mapped: `.dynsym`,
 * and `.symtab` where the object still has it. A stripped object has only `.dynsym`, so its static functions have no
 * name to find. For a GNU indirect function (memcpy in glibc) the address is the symbol's, that is its resolver.
 * @param name - the symbol's name, as the object has it (C++ names mangled)
 * @param options - `module`: look only there; `pid`: another process
 * @returns the address, or null when no object defines the name (or `module` is not mapped)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `name` or `options.module` is not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `module` and `pid`
 * @throws {@link SystemError} when the process cannot be looked at (as {@link modules} throws it)
 * @group Modules and symbols
 * @example
 * ```ts
 * import { findSymbol, readU8 } from 'memprobe';
 *
 * const malloc = findSymbol('malloc', { module: 'libc.so.6' });
 * if (malloc !== null) console.log(readU8(malloc));  // the first byte of its code
 * ```
 */
export function findSymbol(name: string, options?: FindSymbolOptions): bigint | null {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  const pid = processOption(options, FIND_OPTIONS);
  const module = options?.module;
  if (module !== undefined && typeof module !== 'string') throw invalidArgType('options.module', 'of type string', module);
  return addressOfSymbol(loadedModules(pid), name, module);
}

/** The modules in address order, their bounds and biases as numbers (user-space addresses are below 2^53). */
interface ModuleIndex {
  entries: LoadedModule[];
  bases: Float64Array;
  ends: Float64Array;
  biases: Float64Array;
  /** each module's symbols, looked up on first use */
  tables: Array<SymbolTable | null | undefined>;
}

function indexOf(loaded: LoadedModule[]): ModuleIndex {
  const entries = [...loaded].sort((a, b) => (a.module.base < b.module.base ? -1 : a.module.base > b.module.base ? 1 : 0));
  return {
    entries,
    bases: Float64Array.from(entries, (entry) => Number(entry.module.base)),
    ends: Float64Array.from(entries, (entry) => Number(entry.module.end)),
    biases: Float64Array.from(entries, (entry) => Number(entry.bias)),
    tables: new Array(entries.length),
  };
}

const EXACT = 2 ** 53;

function symbolizeOne(address: bigint, index: ModuleIndex): Symbolized | null {
  if (address >= EXACT) return null;  // above every user-space mapping
  const at = Number(address);
  const { bases } = index;
  const m = lastAtOrBefore(bases, at);
  if (m < 0 || at >= index.ends[m]) return null;
  const entry = index.entries[m];
  const offset = BigInt(at - bases[m]);
  let table = index.tables[m];
  if (table === undefined) table = index.tables[m] = symbolTableOf(entry);
  const hit = table?.lookup(at - index.biases[m]) ?? null;
  if (hit === null) return { module: entry.module.name, offset, symbol: null, symbolOffset: null };
  return { module: entry.module.name, offset, symbol: hit.name, symbolOffset: BigInt(at - index.biases[m] - hit.value) };
}

/**
 * The module and symbol an address lies in: `libc.so.6!malloc+0x10`, or `libc.so.6+0x1f00` where no symbol covers
 * it. Given an array, names every address against one reading of the maps; each object's symbols are parsed once
 * and kept while it stays mapped, so many addresses cost a binary search each.
 * @param address - an address, or an array of them
 * @param options - `pid`: another process (default: this one)
 * @returns what names the address, or null outside every module; for an array, one such answer per address
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when an address is not a bigint or number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when an address is negative or above 2^64 - 1
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `pid`
 * @throws {@link SystemError} when the process cannot be looked at (as {@link modules} throws it)
 * @group Modules and symbols
 * @example
 * ```ts
 * import { findSymbol, symbolize } from 'memprobe';
 *
 * const at = symbolize(findSymbol('malloc')! + 16n);
 * console.log(`${at?.module}!${at?.symbol}+0x${at?.symbolOffset?.toString(16)}`);  // libc.so.6!malloc+0x10
 * ```
 */
export function symbolize(address: Address, options?: { pid?: number }): Symbolized | null;
/**
 * Names every address of an array against one reading of the maps.
 * @param addresses - the addresses
 * @param options - `pid`: another process (default: this one)
 * @returns one answer per address, as the single form gives it
 * @throws the same errors as the single form
 * @group Modules and symbols
 */
export function symbolize(addresses: readonly Address[], options?: { pid?: number }): Array<Symbolized | null>;
export function symbolize(address: Address | readonly Address[], options?: { pid?: number }): Symbolized | null | Array<Symbolized | null> {
  const pid = processOption(options, ['pid']);
  if (Array.isArray(address)) {
    const addresses = address.map((one, i) => toAddress(one, `address[${i}]`));
    const index = indexOf(loadedModules(pid));
    return addresses.map((one) => symbolizeOne(one, index));
  }
  const one = toAddress(address, 'address');
  return symbolizeOne(one, indexOf(loadedModules(pid)));
}

/** @internal `libc.so.6!malloc+0x10`, `libc.so.6+0x1f00`: the text form of a symbolize answer. */
export function formatSymbolized(at: Symbolized): string {
  if (at.symbol === null) return `${at.module}+0x${at.offset.toString(16)}`;
  return at.symbolOffset === 0n ? `${at.module}!${at.symbol}` : `${at.module}!${at.symbol}+0x${at.symbolOffset!.toString(16)}`;
}
