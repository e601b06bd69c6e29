'use strict';
// node bench/track-writes.js: trackWrites over 1 GiB of mapped, touched memory with a few pages written, against
// its yardstick in the same run, in alternating rounds (the machine is shared; the ratios are what to read):
//   written()  against  reading the soft-dirty bits of the whole range from /proc/self/pagemap in JavaScript (8 bytes
//   per page, 262,144 pages with 4 KiB pages, fs.readSync in 256 KiB reads, bit 55 tested per entry), which is what
//   a JavaScript user without memprobe would do. The pagemap read costs the same whether or not the kernel keeps
//   soft-dirty bits (it builds every entry either way), so it is measured here even where the bits are all 0.
// reset() is timed for information (PM_SCAN_WP_MATCHING touches only the pages written).
const fs = require('node:fs');

const { mapPages, pageSize, trackWrites, writeU8 } = require('..');
const { formatNs, machine, median, spread } = require('./stats');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const BYTES = 1 << 30;
const PAGES = BYTES / pageSize;
const WRITTEN = [0, 1, 2, 777, 4096, 100_000, PAGES - 1].filter((page) => page < PAGES);  // a few pages
const READ_BYTES = 256 * 1024;

/** The pages of [address, address + PAGES pages) whose pagemap entry has bit 55 (soft-dirty), read in big reads. */
function softDirtyPagesInJs(fd, address, buffer) {
  const dirty = [];
  const first = Number(address / BigInt(pageSize));
  for (let page = 0; page < PAGES; ) {
    const want = Math.min(buffer.length, (PAGES - page) * 8);
    const got = fs.readSync(fd, buffer, 0, want, (first + page) * 8);
    if (got <= 0) throw new Error('short read of /proc/self/pagemap');
    for (let offset = 6; offset < got; offset += 8) {
      if (buffer[offset] & 0x80) dirty.push(page + (offset >> 3));  // bit 55: byte 6, bit 7 (little-endian)
    }
    page += got / 8;
  }
  return dirty;
}

function main() {
  const mapping = mapPages(PAGES);
  const base = mapping.address;
  for (let page = 0; page < PAGES; page++) writeU8(base + BigInt(page * pageSize), 1);  // touched: every page populated
  const tracker = trackWrites({ start: base, end: base + BigInt(BYTES) });
  const fd = fs.openSync('/proc/self/pagemap', 'r');
  const buffer = Buffer.alloc(READ_BYTES);
  const writtenNs = [];
  const pagemapNs = [];
  const resetNs = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const page of WRITTEN) writeU8(base + BigInt(page * pageSize), 2);
      let start = process.hrtime.bigint();
      const ranges = tracker.written();
      writtenNs.push(Number(process.hrtime.bigint() - start));
      const pages = ranges.flatMap((range) => {
        const list = [];
        for (let at = range.start; at < range.end; at += BigInt(pageSize)) list.push(Number((at - base) / BigInt(pageSize)));
        return list;
      });
      if (pages.join() !== WRITTEN.join()) throw new Error(`written() said ${pages.join()}, not ${WRITTEN.join()}`);
      start = process.hrtime.bigint();
      softDirtyPagesInJs(fd, base, buffer);
      pagemapNs.push(Number(process.hrtime.bigint() - start));
      start = process.hrtime.bigint();
      tracker.reset();
      resetNs.push(Number(process.hrtime.bigint() - start));
    }
  } finally {
    fs.closeSync(fd);
    tracker.stop();
    mapping.unmap();
  }
  const ratios = pagemapNs.map((ns, round) => ns / writtenNs[round]);
  console.log(`memprobe track-writes benchmark: ${machine()}`);
  console.log(`1 GiB (${PAGES} pages of ${pageSize} bytes), all touched, ${WRITTEN.length} pages written per round, ${ROUNDS} rounds; mechanism ${tracker.mechanism}\n`);
  console.log('| | median | ratio to written() (median) | spread of per-round ratios |');
  console.log('|---|---|---|---|');
  console.log(`| written() | ${formatNs(median(writtenNs))} | 1.00x | |`);
  console.log(`| soft-dirty bits from pagemap in JavaScript | ${formatNs(median(pagemapNs))} | ${median(ratios).toFixed(1)}x | ${spread(ratios)} |`);
  console.log(`| reset() (for information) | ${formatNs(median(resetNs))} | | |`);
  console.log(`\ngoal: written() at least 10x faster than the pagemap read: ${median(ratios) >= 10 ? 'met' : 'NOT met'}`);
}

main();
