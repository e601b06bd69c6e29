// The symbol tables of a mapped object, read from the file the process really mapped: /proc/<pid>/map_files/<range>
// opens that very file (it needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE); otherwise /proc/<pid>/root + the path
// (the process's own view of the file system, which matters for a process in a container), accepted only when the
// file opened is the one mapped: the same device and inode as the maps show, or, where a layered file system shows
// other numbers, the same build-id as the object in memory. The vDSO has no file: its image is read from memory.
//
// A file that opens by neither route, in a process that is gone by then (it exited after its maps were read), is
// that process's ESRCH, as every { pid } function reports it; in one still there, an object without symbols.
//
// Tables are cached by what identifies the object's contents (device, inode, build-id, size), so every process that
// maps one libc shares one parse, and a file replaced on disk is a new entry.
import * as fs from 'node:fs';

import { binding } from '../common/native';
import { safeRead } from '../memory/copy';
import { buildIdOf, bufferSource, ElfFormatError, readElfHeader, readSymbolTables, type ByteSource } from './elf';
import { isMappedFile, type LoadedModule } from './modules';
import { SymbolTable } from './symbol-table';

const MAX_CACHED_TABLES = 256;
const tableCache = new Map<string, SymbolTable | null>();

function fileSource(fd: number): ByteSource {
  const size = fs.fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const bytes = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < bytes.length) {
        const count = fs.readSync(fd, bytes, done, bytes.length - done, offset + done);
        if (count === 0) break;
        done += count;
      }
      return bytes.subarray(0, done);
    },
  };
}

function hex(value: bigint): string {
  return value.toString(16);
}

/** A descriptor of the file `entry` was mapped from, or null where no route reaches that very file. */
function openMappedFile(entry: LoadedModule): number | null {
  const { mapping, pid, module } = entry;
  const proc = `/proc/${pid === 0 ? 'self' : pid}`;
  try {
    return fs.openSync(`${proc}/map_files/${hex(mapping.start)}-${hex(mapping.end)}`, 'r');
  } catch {
    // Without the capability map_files refuses; the path through the process's root is checked below instead.
  }
  if (module.path.endsWith(' (deleted)')) return null;
  let fd: number;
  try {
    fd = fs.openSync(`${proc}/root${module.path}`, 'r');
  } catch {
    return null;
  }
  const stat = fs.fstatSync(fd);
  if (isMappedFile(stat, mapping)) return fd;
  // A layered file system (overlayfs) shows the lower file's numbers in the maps: the build-id decides.
  try {
    const source = fileSource(fd);
    const header = readElfHeader(source);
    const id = buildIdOf(header, (segment) => source.read(segment.offset, segment.filesz));
    if (id !== null && id === module.buildId) return fd;
  } catch (error) {
    if (!(error instanceof ElfFormatError)) throw error;
  }
  fs.closeSync(fd);
  return null;
}

function readTables(source: ByteSource): SymbolTable | null {
  try {
    return new SymbolTable(readSymbolTables(source, readElfHeader(source)));
  } catch (error) {
    if (error instanceof ElfFormatError) return null;
    throw error;
  }
}

/** The vDSO's image, whole, from the process's memory (it is a few pages and has its section headers loaded). */
function vdsoTables(entry: LoadedModule): SymbolTable | null {
  const { module, pid } = entry;
  const image = safeRead(module.base, module.size, pid === 0 ? undefined : { pid });
  return readTables(bufferSource(image.data));
}

/**
 * @internal The symbols of a module, or null where its file cannot be reached (map_files refused and the path
 * names another file) or is not a readable ELF object.
 */
export function symbolTableOf(entry: LoadedModule): SymbolTable | null {
  const { module, mapping, pid } = entry;
  const key = module.path === '[vdso]'
    ? `vdso:${pid}:${module.base}:${module.buildId}`
    : `${mapping.device}:${mapping.inode}:${module.buildId}:${module.size}`;
  if (tableCache.has(key)) return tableCache.get(key)!;
  let table: SymbolTable | null;
  if (module.path === '[vdso]') {
    table = vdsoTables(entry);
  } else {
    const fd = openMappedFile(entry);
    if (fd === null) {
      // A process that exited after its maps were read has no map_files and no root left: that is its ESRCH (a
      // read of its memory confirms it), not an object without symbols.
      if (pid !== 0) binding.checkProcessReadable(pid);
      return null;  // not cached: the route may open later (a descriptor limit, a remount)
    }
    try {
      table = readTables(fileSource(fd));
    } finally {
      fs.closeSync(fd);
    }
  }
  if (tableCache.size >= MAX_CACHED_TABLES) tableCache.delete(tableCache.keys().next().value!);
  tableCache.set(key, table);
  return table;
}
