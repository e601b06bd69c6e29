// The ELF reader on objects it must refuse or survive: not ELF, 32-bit or big-endian, truncated anywhere, tables whose
// offsets point past the end. Each must give ElfFormatError (or a table without what is missing), never a
// RangeError from a Buffer read nor a wrong answer. The well-formed cases are the fixture's (test/symbols.test.ts).
import * as fs from 'node:fs';

import { bufferSource, ElfFormatError, readElfHeader, readSymbolTables } from '../lib/symbols/elf';
import { SymbolTable } from '../lib/symbols/symbol-table';

const SELF = fs.readFileSync(process.execPath).subarray(0, 64 * 1024);  // node's headers and program headers
const LIBC = (fs.readFileSync('/proc/self/maps', 'utf8').match(/\/\S*libc\.so\.6/) ?? [])[0];

function refuses(bytes: Buffer, read: (source: ReturnType<typeof bufferSource>) => unknown = readElfHeader): void {
  expect(() => read(bufferSource(bytes))).toThrow(ElfFormatError);
}

describe('the ELF reader refuses what it cannot read', () => {
  test('not ELF, 32-bit, big-endian', () => {
    refuses(Buffer.from('#!/bin/sh\necho hello\n'.padEnd(128)));
    const elf32 = Buffer.from(SELF);
    elf32[4] = 1;
    refuses(elf32);
    const bigEndian = Buffer.from(SELF);
    bigEndian[5] = 2;
    refuses(bigEndian);
  });

  test('truncated at every length within the header and program headers', () => {
    const header = readElfHeader(bufferSource(SELF));
    const end = 64 + header.programHeaders.length * 56;
    for (let length = 0; length < end; length += 7) refuses(SELF.subarray(0, length));
    expect(readElfHeader(bufferSource(SELF.subarray(0, end))).programHeaders).toHaveLength(header.programHeaders.length);
  });

  test('a section header table past the end of the file', () => {
    if (LIBC === undefined) throw new Error('this process maps no libc.so.6 to read');
    const libc = fs.readFileSync(LIBC);
    const header = readElfHeader(bufferSource(libc));
    expect(new SymbolTable(readSymbolTables(bufferSource(libc), header)).count).toBeGreaterThan(1000);
    refuses(libc.subarray(0, header.sectionHeaderOffset + 10), (source) => readSymbolTables(source, readElfHeader(source)));
    // A section whose data lies past the end: the table that needs it is refused as a whole.
    const damaged = Buffer.from(libc);
    for (let i = 0; i < header.sectionHeaderCount; i++) {
      const at = header.sectionHeaderOffset + i * 64;
      if (damaged.readUInt32LE(at + 4) === 11 /* SHT_DYNSYM */) damaged.writeBigUInt64LE(BigInt(libc.length), at + 24);
    }
    refuses(damaged, (source) => readSymbolTables(source, readElfHeader(source)));
  });
});
