'use strict';
// A tour of what safeRead reports instead of crashing: one mapping laid out page by page (rw | none | r |
// unmapped), a file truncated under its shared mapping, and the addresses nothing can read. Every read is made
// with both strategies: plain loads under the SIGSEGV/SIGBUS guard, and process_vm_readv.
//
//   node examples/fault-tour.js
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { formatAddress, guardStatus, mapFile, mapPages, pageSize, safeRead } = require('memprobe');

const P = pageSize;

function stackStart() {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[stack]'));
  return BigInt('0x' + line.split('-')[0]);
}

// rw | none | r | unmapped
const pages = mapPages(4);
pages.protect(P, P, 'none');
pages.protect(2 * P, P, 'r');
pages.unmap(3 * P, P);

// A shared file mapping of three pages, the file then cut to one page: the two pages past its end raise SIGBUS.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-tour-'));
const file = path.join(dir, 'data');
fs.writeFileSync(file, Buffer.alloc(3 * P, 0x61));
const mapped = mapFile(file, 3 * P, { shared: true });
fs.truncateSync(file, P);

const cases = [
  ['64 bytes inside a rw page', pages.address + 64n, 64],
  ['64 bytes from 10 before the rw|none edge', pages.address + BigInt(P - 10), 64],
  ['inside the PROT_NONE page', pages.address + BigInt(P + 8), 8],
  ['a read-only page', pages.address + BigInt(2 * P), 8],
  ['the unmapped page', pages.address + BigInt(3 * P), 8],
  ['NULL', 0n, 8],
  ['a non-canonical address', 0x0000_8000_0000_0000n, 8],
  ['the kernel half', 0xffff_8000_0000_0000n, 8],
  ['16 KiB below [stack] (must not grow it)', stackStart() - 16384n, 8],
  ['across the end of a truncated file', mapped.address + BigInt(P - 4), 16],
];

const rows = [['what', 'strategy', 'ok', 'bytesCopied', 'fault', 'signal', 'at']];
for (const [what, address, length] of cases) {
  for (const strategy of ['signal', 'syscall']) {
    const { ok, bytesCopied, fault } = safeRead(address, length, { strategy });
    rows.push([what, strategy, String(ok), String(bytesCopied), fault ? fault.code : '', fault?.signal ?? '', fault ? formatAddress(fault.address) : '']);
  }
}
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());

console.log(`\nThe process is still here. Faults that are not ours go to: ${JSON.stringify(guardStatus().previous)}`);
mapped.unmap();
pages.unmap();
fs.rmSync(dir, { recursive: true, force: true });
