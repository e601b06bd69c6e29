// The ELF objects a process has mapped, found from outside: its maps name the files and where each is mapped; the
// object's own headers, read from the process's memory (its first page is mapped like any other), say where it is
// loaded and its build-id. Reading the headers from memory rather than from the file means a module is exactly what
// the process mapped, even when the file on disk has since been replaced or deleted; only the symbol tables, which
// are not loaded, come from the file (lib/symbols/object-files.ts).
//
// findModule (and a module named in findSymbol or an address expression) takes a name in three ways, in this order:
// exactly (the file name or the path the maps show), by the object's DT_SONAME (libz.so.1 for libz.so.1.2.13), read
// from its dynamic section in memory once per mapping, and as a path that names the same file (device and inode)
// another way: ldd's /lib/x86_64-linux-gnu/libc.so.6 where the maps say /usr/lib/…, or a symbolic link.
//
// A module is found by its mapping at file offset 0 (where the ELF header is): an object whose first loadable
// segment does not start the file is not one (no toolchain links such). The header of each such mapping is read
// once: cached by process, address, device and inode, which one mapping of one file keeps for its whole life.
import * as fs from 'node:fs';

import { checkPid, processOption } from '../common/validate';
import { invalidArgType } from '../common/errors';
import { pageSize, safeRead } from '../memory/copy';
import { readMaps, type MapEntry } from '../probe/probe';
import { buildIdOf, dynamicSegment, ElfFormatError, isElf, loadSegments, readElfHeader, sonameTags, type ByteSource, type ElfHeader, type ProgramHeader } from './elf';

/**
 * An ELF object mapped in a process: the executable, a shared library, the vDSO.
 * @group Modules and symbols
 */
export interface Module {
  /** the file name ('libc.so.6'); '[vdso]' for the vDSO */
  name: string;
  /** the path the process's maps show ('[vdso]' for the vDSO); ' (deleted)' when the file has been removed */
  path: string;
  /** where the object's first loadable segment is mapped (and its ELF header: PIE and prelinked objects alike) */
  base: bigint;
  /** the end of the object's last loadable segment in memory, rounded up to a page, exclusive */
  end: bigint;
  /** `end - base` in bytes */
  size: number;
  /** the GNU build-id as lowercase hex, or null for an object linked without one */
  buildId: string | null;
}

/** @internal A module with what the symbol lookups need besides: the load bias and the mapping that holds its header. */
export interface LoadedModule {
  module: Module;
  /** what is added to an address of the file (st_value, p_vaddr) to get its address in the process */
  bias: bigint;
  /** the mapping at file offset 0 */
  mapping: MapEntry;
  /** the process (0: this one) */
  pid: number;
  /** what its header says, shared by every reading of this mapping */
  facts: HeaderFacts;
}

/** @internal The parts of a module that depend only on its header: cached per mapping. */
export interface HeaderFacts {
  bias: bigint;
  end: bigint;
  buildId: string | null;
  /** the PT_DYNAMIC segment, or null */
  dynamic: ProgramHeader | null;
  /** DT_SONAME once read (null: none); undefined until a lookup by name needs it */
  soname?: string | null;
}

const MAX_CACHED_HEADERS = 4096;
const headerCache = new Map<string, HeaderFacts | null>();

/** @internal Memory of process `pid` (0: this one) as a ByteSource starting at `start`, `size` bytes long; faults read short. */
export function memorySource(pid: number, start: bigint, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      const result = safeRead(start + BigInt(offset), Math.min(length, size - offset), pid === 0 ? undefined : { pid });
      return result.data;
    },
  };
}

/** Where a module's header lives and what its segments say; null for a mapping that holds no readable ELF header. */
function readHeaderFacts(pid: number, mapping: MapEntry): HeaderFacts | null {
  const page = pageSize;
  const size = Number(mapping.end - mapping.start);
  const source = memorySource(pid, mapping.start, size);
  if (!isElf(source.read(0, 4))) return null;
  let header: ElfHeader;
  try {
    header = readElfHeader(source);
  } catch (error) {
    if (error instanceof ElfFormatError) return null;
    throw error;
  }
  const loads = loadSegments(header);
  if (loads.length === 0) return null;
  const pageMask = BigInt(page - 1);
  const firstPage = BigInt(loads[0].vaddr) & ~pageMask;
  const bias = mapping.start - firstPage;
  const last = loads.reduce((top, segment) => Math.max(top, segment.vaddr + segment.memsz), 0);
  const end = bias + ((BigInt(last) + pageMask) & ~pageMask);
  // The notes lie in the first loaded segment, so the mapped image has them; only this mapping is read here.
  const buildId = buildIdOf(header, (segment) => {
    const at = bias + BigInt(segment.vaddr) - mapping.start;
    if (at < 0n || at + BigInt(segment.filesz) > BigInt(size)) return null;
    const bytes = source.read(Number(at), segment.filesz);
    return bytes.length === segment.filesz ? bytes : null;
  });
  return { bias, end, buildId, dynamic: dynamicSegment(header) ?? null };
}

function headerFacts(pid: number, mapping: MapEntry): HeaderFacts | null {
  const key = `${pid}:${mapping.start}:${mapping.device}:${mapping.inode}:${mapping.path}`;
  if (headerCache.has(key)) return headerCache.get(key)!;
  const facts = readHeaderFacts(pid, mapping);
  if (headerCache.size >= MAX_CACHED_HEADERS) headerCache.delete(headerCache.keys().next().value!);
  headerCache.set(key, facts);
  return facts;
}

/** The executable's path as the maps show it (readlink of /proc/<pid>/exe), or null where it cannot be read. */
function executablePath(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid === 0 ? 'self' : pid}/exe`);
  } catch {
    return null;
  }
}

function isCandidate(mapping: MapEntry): boolean {
  if (mapping.offset !== 0n || !mapping.perms.startsWith('r')) return false;
  return mapping.path === '[vdso]' || (mapping.path.startsWith('/') && mapping.inode !== 0);
}

function nameOf(path: string): string {
  if (path === '[vdso]') return path;
  const file = path.endsWith(' (deleted)') ? path.slice(0, -' (deleted)'.length) : path;
  return file.slice(file.lastIndexOf('/') + 1);
}

/** @internal The modules of process `pid` (0: this one), with their biases: the executable first, then address order. */
export function loadedModules(pid: number): LoadedModule[] {
  const maps = readMaps(pid === 0 ? undefined : pid);
  const executable = executablePath(pid);
  const found: LoadedModule[] = [];
  for (const mapping of maps) {
    if (!isCandidate(mapping)) continue;
    const facts = headerFacts(pid, mapping);
    if (facts === null) continue;
    const module: Module = {
      name: nameOf(mapping.path),
      path: mapping.path,
      base: mapping.start,
      end: facts.end,
      size: Number(facts.end - mapping.start),
      buildId: facts.buildId,
    };
    found.push({ module, bias: facts.bias, mapping, pid, facts });
  }
  const main = found.findIndex((entry) => entry.mapping.path === executable);
  if (main > 0) found.unshift(...found.splice(main, 1));
  return found;
}

/**
 * The ELF objects mapped in a process: the executable, every shared library, the vDSO. Read from outside, without
 * stopping the process: its maps, and each object's headers from its memory.
 * @param pid - another process (default: this one)
 * @returns the executable first, then the others in address order
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when the process's maps or memory cannot be read, with `pid` set: the error a read of
 * its memory gives (`safeRead({ pid })`'s), `ESRCH` for a process that is gone or exits during the call, `EPERM`
 * for one this process may not read
 * @group Modules and symbols
 * @example
 * ```ts
 * import { modules } from 'memprobe';
 *
 * for (const m of modules()) console.log(m.base.toString(16), m.size, m.name, m.buildId);
 * ```
 */
export function modules(pid?: number): Module[] {
  if (pid !== undefined) checkPid(pid, 'pid');
  return loadedModules(pid ?? 0).map((entry) => ({ ...entry.module }));
}

const MAX_SONAME = 256;

/** The object's DT_SONAME, read from its dynamic section in the process's memory, or null (none, or unreadable). */
function readSoname(entry: LoadedModule): string | null {
  const { facts, module, pid } = entry;
  if (facts.dynamic === null) return null;
  const options = pid === 0 ? undefined : { pid };
  const dynamic = safeRead(facts.bias + BigInt(facts.dynamic.vaddr), Math.min(facts.dynamic.memsz, 1 << 16), options).data;
  const { soname, strtab } = sonameTags(dynamic);
  if (soname === null || strtab === null) return null;
  // glibc's loader adds the load bias to DT_STRTAB in place (the dynamic section is writable); the vDSO's, and an
  // object not yet relocated, hold the file's address. A file address never falls inside the module's loaded
  // range unless the bias is 0, where both are the same.
  const table = strtab >= module.base && strtab < module.end ? strtab : facts.bias + strtab;
  const bytes = safeRead(table + BigInt(soname), MAX_SONAME, options).data;
  const nul = bytes.indexOf(0);
  return nul > 0 ? bytes.toString('utf8', 0, nul) : null;
}

function sonameOf(entry: LoadedModule): string | null {
  const { facts } = entry;
  if (facts.soname === undefined) facts.soname = readSoname(entry);
  return facts.soname;
}

/** @internal The maps' 'major:minor' (hex) as the st_dev number fs.statSync gives (glibc's makedev). */
export function deviceNumber(device: string): number {
  const [major, minor] = device.split(':').map((part) => parseInt(part, 16));
  return (major & 0xfff) * 0x100 + (minor & 0xff) + Math.floor(minor / 0x100) * 0x100000 + Math.floor(major / 0x1000) * 2 ** 44;
}

/** @internal Whether `stat` is the file `mapping` maps: the same device and inode. */
export function isMappedFile(stat: fs.Stats, mapping: MapEntry): boolean {
  return stat.ino === mapping.inode && stat.dev === deviceNumber(mapping.device);
}

/**
 * The module whose file `name` names when read as a path: as the process sees it (through /proc/<pid>/root, or
 * its working directory for a relative path), compared by device and inode.
 */
function moduleAtPath(loaded: LoadedModule[], name: string, pid: number): LoadedModule | undefined {
  if (!name.includes('/') || loaded.length === 0) return undefined;
  const proc = `/proc/${pid === 0 ? 'self' : pid}`;
  const seen = pid === 0 ? name : name.startsWith('/') ? `${proc}/root${name}` : `${proc}/cwd/${name}`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(seen);
  } catch {
    return undefined;  // no such file where the process looks: no module of that path
  }
  return loaded.find((entry) => entry.module.path !== '[vdso]' && isMappedFile(stat, entry.mapping));
}

/**
 * @internal The loaded module named `name`, or undefined: first by its file name or its path as the maps show it,
 * then by its DT_SONAME, then as a path naming the same file another way (a symbolic link, ldd's /lib for /usr/lib).
 */
export function moduleNamed(loaded: LoadedModule[], name: string): LoadedModule | undefined {
  return loaded.find((entry) => entry.module.name === name) ??
    loaded.find((entry) => entry.module.path === name) ??
    (name.length > 0 && !name.includes('/') ? loaded.find((entry) => sonameOf(entry) === name) : undefined) ??
    moduleAtPath(loaded, name, loaded[0]?.pid ?? 0);
}

/**
 * The module a process mapped from a file of this name or path. A name is taken, in this order: as the module's
 * file name or the path its maps show; as the object's `DT_SONAME` (`libz.so.1` for `libz.so.1.2.13`), read from
 * its dynamic section in memory; as a path naming the same file another way (a symbolic link, or ldd's
 * `/lib/x86_64-linux-gnu/libc.so.6` where the maps say `/usr/lib/x86_64-linux-gnu/libc.so.6`), compared by device
 * and inode with the file as the process sees it (through `/proc/<pid>/root`; a relative path from its working
 * directory). On an overlay file system the maps may show other numbers than a stat of the path: use the path the
 * maps show there.
 * @param name - a file name ('libc.so.6'), a soname ('libz.so.1'), or a path ('/usr/lib/x86_64-linux-gnu/libc.so.6',
 * '/lib/x86_64-linux-gnu/libc.so.6')
 * @param options - `pid`: another process (default: this one)
 * @returns the first module by that name (the executable first, then address order) at the first of those steps
 * that finds one, or null
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `name` is not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `pid`
 * @throws {@link SystemError} as {@link modules} throws it
 * @group Modules and symbols
 * @example
 * ```ts
 * import { findModule } from 'memprobe';
 *
 * const libc = findModule('/lib/x86_64-linux-gnu/libc.so.6');   // the path ldd prints, a link to /usr/lib/…
 * console.log(libc?.path, libc?.base.toString(16));
 * ```
 */
export function findModule(name: string, options?: { pid?: number }): Module | null {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  const pid = processOption(options, ['pid']);
  const entry = moduleNamed(loadedModules(pid), name);
  return entry === undefined ? null : { ...entry.module };
}
