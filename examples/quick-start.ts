// The README's quick start, exactly as pasted there (test/readme.test.ts checks both are the same, compiles this
// under strict and runs it, comparing what it prints with the comments).
import { addressOf, formatAddress, fuzz, isReadable, mapPages, pageSize, probe, probeMany, safeMemcpy, safeRead } from 'memprobe';

// Two read-write pages; the second becomes PROT_NONE.
const pages = mapPages(2);
pages.protect(pageSize, pageSize, 'none');
const boundary = pages.address + BigInt(pageSize);

// 16 bytes from 4 bytes before the boundary: the 4 readable ones are copied, then the fault is returned.
const r = safeRead(boundary - 4n, 16);
console.log(r.ok, r.bytesCopied, r.data.length);    // false 4 4
if (!r.ok) {
  console.log(r.fault.code, r.fault.signal, r.fault.access);  // SEGV_ACCERR SIGSEGV read
  console.log(r.fault.address === boundary);        // true
  console.log(formatAddress(r.fault.address) === formatAddress(boundary));  // true
}

// Every kind of bad address is a value, never a crash.
console.log(safeRead(0n, 8).fault?.code);                          // SEGV_MAPERR
console.log(safeRead(0x0000800000000000n, 8).fault?.code);         // NONCANONICAL
console.log(safeRead(0n, 8, { strategy: 'syscall' }).fault?.code); // EFAULT

// Between raw addresses and memory JavaScript owns, both ways.
const text = Buffer.from('hello, memprobe');
const copy = Buffer.alloc(text.length);
console.log(safeMemcpy(copy, addressOf(text), text.length).ok, copy.toString());  // true hello, memprobe
console.log(safeMemcpy(pages.address, text, text.length).ok);                     // true
console.log(safeRead(pages.address, 5).data.toString());                          // hello

// Probing: each verdict comes from a real access, never from /proc alone.
console.log(probe(pages.address), probe(boundary), probe(0n));   // readable protected unmapped
console.log(isReadable(pages.address, 2 * pageSize));             // false
console.log(probeMany(new BigUint64Array([0n, pages.address])));  // Uint8Array(2) [ 2, 0 ]
pages.unmap();

// The fuzzer: seeded cases through the real copy, each checked against /proc/self/maps.
fuzz({ iterations: 2_000, seed: 1 }).then((report) => {
  console.log(report.iterations, report.mismatchCount);          // 2000 0
});
