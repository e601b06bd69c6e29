// The README's example of reading memory like a debugger (README, "Reading values, strings and patterns"), exactly
// as shown there (test/readme.test.ts checks both are the same, compiles this under strict and runs it, comparing
// what it prints with the comments).
import { addressOf, hexdump, mapPages, pageSize, readCString, readPointer, readU32, scanMemory, scanMemoryIter, writeU32 } from 'memprobe';

// A C-like struct: { uint32_t magic; uint32_t flags; const char *name; }
const name = Buffer.from('memprobe\0');
const struct = Buffer.alloc(16);
writeU32(addressOf(struct), 0xfeedface);
struct.writeBigUInt64LE(addressOf(name), 8);

const magic = readU32(addressOf(struct));
console.log(magic.ok && magic.value.toString(16));                  // feedface
console.log(readU32(addressOf(struct), { bigEndian: true }).ok);    // true
const pointer = readPointer(addressOf(struct) + 8n);                // a bigint, to follow
if (pointer.ok) {
  const text = readCString(pointer.value);
  console.log(text.ok && text.value, text.bytesRead);               // memprobe 8
}

// Faults are values: what the copy would report for the same bytes.
console.log(readU32(0n).fault?.code);                               // SEGV_MAPERR

// A string without a NUL before a page that cannot be read: the prefix, and where it stopped.
const pages = mapPages(2);
pages.protect(pageSize, pageSize, 'none');
const edge = pages.address + BigInt(pageSize);
writeU32(edge - 4n, 0x41414141);                                    // "AAAA", no NUL
const cut = readCString(edge - 4n);
if (!cut.ok) console.log(cut.partial, cut.bytesRead, cut.fault.code, cut.fault.address === edge);  // AAAA 4 SEGV_ACCERR true
pages.unmap();

// Byte patterns in Frida's syntax: ?? any byte, ?5 a nibble. Here in one buffer; without a window, in every
// readable range of the process (or of another one, with { pid }).
const code = Buffer.from([0x48, 0x8b, 0x05, 0x11, 0x22, 0x48, 0x8b, 0x0d, 0x33]);
const start = addressOf(code);
const range = { start, end: start + BigInt(code.length) };
console.log(scanMemory('48 8b ??', range).map((address) => address - start));  // [ 0n, 5n ]
console.log(scanMemory('48 8b ?5', range).length);                            // 1
console.log(hexdump(code).trimEnd());  // 00000000: 488b 0511 2248 8b0d 33                   H..."H..3

// The same search as an async iterator: 4 MiB at a time on the threadpool, matches as they are found.
async function firstMatch(): Promise<void> {
  for await (const address of scanMemoryIter('22 48 8b', range)) {
    console.log(address - start);                                   // 4n
    break;
  }
}
void firstMatch();
