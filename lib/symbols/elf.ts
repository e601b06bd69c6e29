// A reader of the parts of an ELF64 little-endian object that naming addresses needs: the file header, the program
// headers (where the object is loaded, its build-id note, its dynamic section's DT_SONAME), the section headers,
// and the symbol tables (.dynsym with its version table, .symtab) with their string tables. It reads from a
// `ByteSource`: positioned reads from a file, or bytes already in memory (an object's mapped image, the vDSO), so a
// 100 MB executable costs its headers and symbol tables, never the whole file.
//
// Why a reader of our own and not a package: the published ELF packages (elfy, elf-tools and the like) parse a
// whole file held in one Buffer, are untyped or unmaintained, and none reads symbol versions; this is the few
// hundred lines the lookups need, over positioned reads, with the checks a truncated or hostile file requires.
//
// Must never: trust an offset or count from the file without checking it against the source's size.

/** @internal Bytes from some origin, read at an offset; a short read returns fewer bytes, never throws for it. */
export interface ByteSource {
  /** the source's size in bytes (a file's size, an image's length) */
  readonly size: number;
  /** up to `length` bytes at `offset` (fewer at the end of the source) */
  read(offset: number, length: number): Buffer;
}

/** @internal A ByteSource over bytes already in memory. */
export function bufferSource(bytes: Buffer): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

/** @internal Why an object could not be read: not ELF, or a form this reader does not take, or truncated. */
export class ElfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfFormatError';
  }
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_NOTE = 4;
const DT_NULL = 0n;
const DT_STRTAB = 5n;
const DT_SONAME = 14n;
const DYNAMIC_ENTRY_SIZE = 16;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHT_GNU_VERSYM = 0x6fffffff;
const NT_GNU_BUILD_ID = 3;

/** @internal One program header. */
export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

/** @internal One section header (the fields the symbol tables need). */
interface SectionHeader {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

/** @internal The file header and program headers of an ELF64 little-endian object. */
export interface ElfHeader {
  /** ET_EXEC (2) or ET_DYN (3) */
  type: number;
  machine: number;
  programHeaders: ProgramHeader[];
  sectionHeaderOffset: number;
  sectionHeaderCount: number;
}

const HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const SECTION_HEADER_SIZE = 64;
const SYMBOL_SIZE = 24;

/** @internal True when `bytes` start like an ELF file (any class); the cheap test before parsing. */
export function isElf(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** A 64-bit field as a number: offsets and addresses within an object are far below 2^53. */
function u64(bytes: Buffer, at: number): number {
  const value = bytes.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`a 64-bit field at ${at} is beyond 2^53`);
  return Number(value);
}

function readExactly(source: ByteSource, offset: number, length: number, what: string): Buffer {
  if (offset < 0 || length < 0 || offset + length > source.size) {
    throw new ElfFormatError(`${what} (${length} bytes at ${offset}) lies past the end (${source.size} bytes)`);
  }
  const bytes = source.read(offset, length);
  if (bytes.length !== length) throw new ElfFormatError(`${what}: read ${bytes.length} of ${length} bytes at ${offset}`);
  return bytes;
}

/** @internal The file header and program headers; throws ElfFormatError for anything but ELF64 little-endian. */
export function readElfHeader(source: ByteSource): ElfHeader {
  const header = readExactly(source, 0, HEADER_SIZE, 'the ELF header');
  if (!isElf(header)) throw new ElfFormatError('not an ELF object');
  if (header[4] !== 2 || header[5] !== 1) throw new ElfFormatError('not a 64-bit little-endian ELF object');
  const programHeaderOffset = u64(header, 32);
  const sectionHeaderOffset = u64(header, 40);
  const programHeaderSize = header.readUInt16LE(54);
  const programHeaderCount = header.readUInt16LE(56);
  const sectionHeaderSize = header.readUInt16LE(58);
  const sectionHeaderCount = header.readUInt16LE(60);
  if (programHeaderCount > 0 && programHeaderSize !== PROGRAM_HEADER_SIZE) throw new ElfFormatError(`program headers of ${programHeaderSize} bytes`);
  if (sectionHeaderCount > 0 && sectionHeaderSize !== SECTION_HEADER_SIZE) throw new ElfFormatError(`section headers of ${sectionHeaderSize} bytes`);
  const table = readExactly(source, programHeaderOffset, programHeaderCount * PROGRAM_HEADER_SIZE, 'the program headers');
  const programHeaders: ProgramHeader[] = [];
  for (let i = 0; i < programHeaderCount; i++) {
    const at = i * PROGRAM_HEADER_SIZE;
    programHeaders.push({
      type: table.readUInt32LE(at),
      offset: u64(table, at + 8),
      vaddr: u64(table, at + 16),
      filesz: u64(table, at + 32),
      memsz: u64(table, at + 40),
    });
  }
  return { type: header.readUInt16LE(16), machine: header.readUInt16LE(18), programHeaders, sectionHeaderOffset, sectionHeaderCount };
}

/** @internal The loadable segments, in the order of the headers (ascending addresses, as the ELF rules require). */
export function loadSegments(header: ElfHeader): ProgramHeader[] {
  return header.programHeaders.filter((segment) => segment.type === PT_LOAD);
}

/** @internal The PT_DYNAMIC segment (the dynamic section), or undefined for an object without one (static executables). */
export function dynamicSegment(header: ElfHeader): ProgramHeader | undefined {
  return header.programHeaders.find((segment) => segment.type === PT_DYNAMIC);
}

/**
 * @internal What the dynamic section says about the object's name: DT_SONAME (an offset into the string table)
 * and DT_STRTAB (the string table's address: the file's, or, in a loaded image whose loader relocated the section
 * in place as glibc's does, the address in memory). Null fields where the tags are absent; reads up to DT_NULL.
 */
export function sonameTags(dynamic: Buffer): { soname: number | null; strtab: bigint | null } {
  let soname: number | null = null;
  let strtab: bigint | null = null;
  for (let at = 0; at + DYNAMIC_ENTRY_SIZE <= dynamic.length; at += DYNAMIC_ENTRY_SIZE) {
    const tag = dynamic.readBigInt64LE(at);
    if (tag === DT_NULL) break;
    const value = dynamic.readBigUInt64LE(at + 8);
    if (tag === DT_SONAME && value < 1n << 32n) soname = Number(value);
    else if (tag === DT_STRTAB) strtab = value;
  }
  return { soname, strtab };
}

/**
 * @internal The NT_GNU_BUILD_ID note's bytes as lowercase hex, or null. `noteBytes` reads a PT_NOTE segment's
 * bytes: from the file at its offset, or from memory at its address (notes are loaded with the first segment).
 */
export function buildIdOf(header: ElfHeader, noteBytes: (segment: ProgramHeader) => Buffer | null): string | null {
  for (const segment of header.programHeaders) {
    if (segment.type !== PT_NOTE || segment.filesz === 0 || segment.filesz > 1 << 20) continue;
    const notes = noteBytes(segment);
    if (notes === null) continue;
    // Each note: namesz, descsz, type, then the name and the descriptor, each padded to 4 bytes.
    for (let at = 0; at + 12 <= notes.length;) {
      const nameSize = notes.readUInt32LE(at);
      const descSize = notes.readUInt32LE(at + 4);
      const type = notes.readUInt32LE(at + 8);
      const name = at + 12;
      const desc = name + align4(nameSize);
      if (desc + descSize > notes.length) break;
      if (type === NT_GNU_BUILD_ID && nameSize === 4 && notes.toString('latin1', name, name + 3) === 'GNU') {
        return notes.toString('hex', desc, desc + descSize);
      }
      at = desc + align4(descSize);
    }
  }
  return null;
}

function align4(value: number): number {
  return (value + 3) & ~3;
}

function readSectionHeaders(source: ByteSource, header: ElfHeader): SectionHeader[] {
  if (header.sectionHeaderCount === 0) return [];
  const table = readExactly(source, header.sectionHeaderOffset, header.sectionHeaderCount * SECTION_HEADER_SIZE, 'the section headers');
  const sections: SectionHeader[] = [];
  for (let i = 0; i < header.sectionHeaderCount; i++) {
    const at = i * SECTION_HEADER_SIZE;
    sections.push({
      type: table.readUInt32LE(at + 4),
      offset: u64(table, at + 24),
      size: u64(table, at + 32),
      link: table.readUInt32LE(at + 40),
      entsize: u64(table, at + 56),
    });
  }
  return sections;
}

/**
 * @internal One symbol table as read: `entries` holds the raw Elf64_Sym records, `names` the string table they
 * point into, `versions` (for .dynsym) the .gnu.version entry of each symbol, or null.
 */
export interface RawSymbolTable {
  kind: 'dynsym' | 'symtab';
  entries: Buffer;
  count: number;
  names: Buffer;
  versions: Buffer | null;
}

/** @internal The .dynsym and .symtab of an object, each where present (a stripped object has only .dynsym). */
export function readSymbolTables(source: ByteSource, header: ElfHeader): RawSymbolTable[] {
  const sections = readSectionHeaders(source, header);
  const versionSection = sections.find((section) => section.type === SHT_GNU_VERSYM);
  const tables: RawSymbolTable[] = [];
  for (const section of sections) {
    if (section.type !== SHT_SYMTAB && section.type !== SHT_DYNSYM) continue;
    if (section.entsize !== SYMBOL_SIZE || section.link >= sections.length) continue;
    const strings = sections[section.link];
    const count = Math.floor(section.size / SYMBOL_SIZE);
    const kind = section.type === SHT_DYNSYM ? 'dynsym' : 'symtab';
    let versions: Buffer | null = null;
    if (kind === 'dynsym' && versionSection !== undefined && versionSection.size >= count * 2) {
      versions = readExactly(source, versionSection.offset, count * 2, 'the symbol versions');
    }
    tables.push({
      kind,
      entries: readExactly(source, section.offset, count * SYMBOL_SIZE, `the ${kind} table`),
      count,
      names: readExactly(source, strings.offset, strings.size, `the ${kind} names`),
      versions,
    });
  }
  return tables;
}
