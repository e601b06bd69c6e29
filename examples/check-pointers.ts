// The README's recipe "Check a native addon's pointers, and fuzz the address space", exactly as shown there
// (test/readme.test.ts checks both are the same, compiles this under strict and runs it, comparing what it prints
// with the comments).
import { fuzz, isReadable, mapPages, probe, probeMany, ProbeCode, readCString, readPointer, writePointer } from 'memprobe';

// Pointers as a native addon might hand them back (made up here): live, already freed, NULL, garbage.
const live = mapPages(1);
const freed = mapPages(1);
freed.unmap();
const pointers = new BigUint64Array([live.address, freed.address, 0n, 0xdeadbeefdeadbeefn]);

// One native call gives each a verdict; every `readable` comes from a real read.
console.log([...probeMany(pointers)].map((code) => Object.keys(ProbeCode)[code]).join(' '));  // readable unmapped unmapped noncanonical

// Before trusting a struct behind a pointer, check all of its bytes; then follow its fields.
console.log(isReadable(live.address, 16), isReadable(freed.address, 16));    // true false
writePointer(live.address, freed.address);                                  // a struct whose first field dangles
const field = readPointer(live.address);
if (field.ok) {
  console.log(probe(field.value));                                          // unmapped
  // Reading it anyway is no crash either: the read returns its fault.
  console.log(readCString(field.value).fault?.code);                         // SEGV_MAPERR
}
live.unmap();

// The copy under all of this, checked against /proc/self/maps on this process: seeded cases on two threads.
fuzz({ iterations: 5_000, seed: 42, threads: 2 }).then((report) => {
  console.log(report.iterations, report.mismatchCount, report.threads);  // 5000 0 2
});
