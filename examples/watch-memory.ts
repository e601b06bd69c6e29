// The README's recipe "Watch memory", exactly as shown there (test/readme.test.ts checks both are the same,
// compiles this under strict and runs it, comparing what it prints with the comments).
import { mapPages, monitorAccess, pageSize, renderAddressSpace, safeRead, trackWrites, writeU32 } from 'memprobe';

const pages = mapPages(8);
const range = { start: pages.address, end: pages.address + BigInt(pages.size) };
const pageOf = (address: bigint) => (address - pages.address) / BigInt(pageSize);

// Which pages did this code write? Without a signal per page where the kernel can tell (Linux 6.7+).
const tracker = trackWrites(range);
writeU32(pages.address + BigInt(5 * pageSize), 0xfeed);
console.log(tracker.mechanism, tracker.written().map((r) => pageOf(r.start)));   // pagemap-scan [ 5n ]
tracker.stop();

// Which pages does it touch first, and how? One report per page; the access itself goes on unharmed.
const monitor = monitorAccess([range], (access) => {
  console.log(access.operation, pageOf(access.page), access.threadId === process.pid);  // read 2n true
});
safeRead(pages.address + BigInt(2 * pageSize), 16);
setImmediate(() => {
  monitor.stop();
  pages.unmap();
  // The whole address space as one self-contained SVG (`npx memprobe scan --self --svg FILE` writes it too).
  console.log(renderAddressSpace().includes('[stack]'));   // true
});
