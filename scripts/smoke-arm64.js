#!/usr/bin/env node
// A smoke test of the guarded routines and the fault guard on whatever processor runs it, written for arm64 Node
// under qemu-user (where jest is slow): every guarded routine is made to fault and not to fault, and a real crash
// goes down the chain to the default action. Prints one line per check and OK at the end; exits 1 on the first
// failed check.
//
//   qemu-aarch64 -L /usr/aarch64-linux-gnu <arm64 node> scripts/smoke-arm64.js [package root]
//
// The package root (default: this checkout) must hold dist/ and an addon node-gyp-build picks for this
// processor (build/Release or prebuilds/linux-arm64). Children (the crash cases) run process.execPath, prefixed
// with MEMPROBE_TEST_EMULATOR when it is set (e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu": without binfmt_misc
// the host cannot run an arm64 binary itself).
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const memprobe = require(root);
const { binding } = require(path.join(root, 'dist', 'common', 'native'));
const {
  addressOf, mapFile, mapPages, pageSize, probe, readCString, safeMemcpy, safeRead, safeReadAsync, scanMemory,
  readU8, readU16, readU32, readU64, readI8, readI16, readI32, readI64, readF32, readF64,
  writeU8, writeU16, writeU32, writeU64, writeF32, writeF64,
} = memprobe;

const started = Date.now();
function check(name, fn) {
  fn();
  console.log(`ok ${name}`);
}

const page = BigInt(pageSize);
const machine = binding.machine;
// The kernel's half (the top page) is unmapped, SEGV_MAPERR, on both architectures. On arm64 a real kernel never
// says SEGV_ACCERR there, KPTI or not (arch/arm64/mm/fault.c): a translation fault on a TTBR1 address goes to
// do_bad_area, whose code for it is SEGV_MAPERR; a permission or access-flag fault (kernel pages still mapped at EL0,
// no KPTI) goes to do_page_fault, which finds no VMA above TASK_SIZE (VM_FAULT_BADMAP) and also says SEGV_MAPERR.
// qemu-user says SEGV_MAPERR too, with si_addr as asked.
const kernelTopPage = (1n << 64n) - page;

check(`machine: ${machine.architecture}, ${pageSize}-byte pages, user space below 0x${machine.userAddressEnd.toString(16)}`, () => {
  assert.equal(machine.architecture, process.arch);
  assert.equal(machine.pageSize, pageSize);
  assert.ok(pageSize >= 4096 && (pageSize & (pageSize - 1)) === 0);
  assert.equal(machine.userAddressEnd, process.arch === 'arm64' ? 1n << 48n : 1n << 47n);
  assert.equal(machine.nonCanonicalAddresses, process.arch === 'x64');
  assert.equal(machine.topByteIgnore, process.arch === 'arm64');
});

// Three pages: rw, rw, then PROT_NONE; the third of another mapping read-only.
const pages = mapPages(3);
pages.protect(2 * pageSize, pageSize, 'none');
const base = pages.address;
const noneStart = base + 2n * page;
const readOnly = mapPages(2);
readOnly.protect(pageSize, pageSize, 'r');
const keep = [];  // Buffers whose raw address is used stay referenced

function fill(address, length, seed) {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 131 + seed) & 0xff;
  const copied = safeMemcpy(address, bytes, length);
  assert.equal(copied.ok, true);
  return bytes;
}

check('safeRead of readable memory', () => {
  const source = Buffer.from('readable memory, read through the guard');
  keep.push(source);
  const read = safeRead(addressOf(source), source.length);
  assert.equal(read.ok, true);
  assert.deepEqual(read.data, source);
});

check('safeRead of unmapped memory: SEGV_MAPERR at the first byte', () => {
  const gone = mapPages(1);
  gone.unmap();
  const read = safeRead(gone.address, 64);
  assert.equal(read.ok, false);
  assert.equal(read.bytesCopied, 0);
  assert.equal(read.fault.code, 'SEGV_MAPERR');
  assert.equal(read.fault.address, gone.address);
  assert.equal(read.fault.access, 'read');
});

check('safeRead of PROT_NONE memory: SEGV_ACCERR', () => {
  const read = safeRead(noneStart, 16);
  assert.equal(read.ok, false);
  assert.equal(read.fault.code, 'SEGV_ACCERR');
  assert.equal(read.fault.address, noneStart);
});

// Every size class of the forward copy (1..3, 4..7, 8..16, 17..32, 33..64, 65..128, the 64-byte loop) ending
// at every distance around the PROT_NONE page: the prefix is exactly the readable bytes, and they are right.
check('copies straddling a fault report the exact prefix (every size class, many offsets)', () => {
  const expected = fill(base, 2 * pageSize, 7);
  const lengths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 200, 1000, 5000];
  let cases = 0;
  for (const length of lengths) {
    for (const before of [0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 200, 4000]) {
      if (before > 2 * pageSize) continue;
      const src = noneStart - BigInt(before);
      const read = safeRead(src, length);
      const readable = Math.min(before, length);
      assert.equal(read.bytesCopied, readable, `length ${length}, ${before} readable bytes`);
      assert.deepEqual(read.data, expected.subarray(2 * pageSize - before, 2 * pageSize - before + readable));
      if (length > before) {
        assert.equal(read.ok, false);
        assert.equal(read.fault.code, 'SEGV_ACCERR');
        assert.equal(read.fault.address, noneStart);
        assert.equal(read.fault.access, 'read');
      } else {
        assert.equal(read.ok, true);
      }
      cases++;
    }
  }
  assert.ok(cases > 300);
});

check('a shared file mapping past the end of its file: BUS_ADRERR', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-smoke-')), 'two-pages');
  fs.writeFileSync(file, Buffer.alloc(2 * pageSize, 0x33));
  const mapping = mapFile(file, 2 * pageSize, { shared: true });
  try {
    fs.truncateSync(file, pageSize);
    const read = safeRead(mapping.address + page - 10n, 20);
    assert.equal(read.ok, false);
    assert.equal(read.bytesCopied, 10);
    assert.deepEqual(read.data, Buffer.alloc(10, 0x33));
    assert.equal(read.fault.code, 'BUS_ADRERR');
    assert.equal(read.fault.signal, 'SIGBUS');
    assert.equal(read.fault.address, mapping.address + page);
  } finally {
    mapping.unmap();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

check('a copy into a read-only page: a write fault, the prefix written, nothing after it', () => {
  const writable = readOnly.address;
  const roStart = writable + page;
  for (const length of [5, 24, 48, 100, 300, 3000]) {
    for (const before of [0, 3, 16, 40, 90, 1000]) {
      const source = Buffer.alloc(length, 0x5a + (length & 7));
      const clear = Buffer.alloc(pageSize);
      safeMemcpy(writable, clear, pageSize);
      const result = safeMemcpy(roStart - BigInt(before), source, length);
      const written = Math.min(before, length);
      assert.equal(result.bytesCopied, written, `length ${length}, ${before} writable bytes`);
      if (length > before) {
        assert.equal(result.ok, false);
        assert.equal(result.fault.code, 'SEGV_ACCERR');
        assert.equal(result.fault.access, 'write');
        assert.equal(result.fault.address, roStart);
      }
      const after = safeRead(roStart - BigInt(before), before + 8);
      assert.deepEqual(after.data.subarray(0, written), source.subarray(0, written));
      assert.deepEqual(after.data.subarray(before), Buffer.alloc(8));  // the read-only page is untouched
    }
  }
});

check('overlapping copies move like memmove, both ways', () => {
  const bytes = Buffer.alloc(4096);
  keep.push(bytes);
  for (const [shift, length] of [[1, 100], [-1, 100], [64, 3000], [-64, 3000], [7, 17], [-7, 17]]) {
    for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
    const reference = Buffer.from(bytes);
    reference.copy(reference, 500 + shift, 500, 500 + length);
    const at = addressOf(bytes);
    const result = safeMemcpy(at + BigInt(500 + shift), at + 500n, length);
    assert.equal(result.ok, true);
    assert.deepEqual(bytes, reference);
  }
});

check('probe: readable, protected, unmapped, and past the user space', () => {
  assert.equal(probe(base), 'readable');
  assert.equal(probe(noneStart), 'protected');
  assert.equal(probe(0n), 'unmapped');
  assert.equal(probe(machine.userAddressEnd), machine.nonCanonicalAddresses ? 'noncanonical' : 'unmapped');
  assert.equal(probe(kernelTopPage), 'unmapped');
});

check('a copy past the user space: nothing copied, the fault at the first byte asked for', () => {
  for (const src of [machine.userAddressEnd + 16n, 1n << 62n, kernelTopPage]) {
    const read = safeRead(src, 64);
    assert.equal(read.ok, false);
    assert.equal(read.bytesCopied, 0);
    assert.equal(read.fault.address, src);
    const inGap = src < (1n << 64n) - machine.userAddressEnd;
    assert.equal(read.fault.code, machine.nonCanonicalAddresses && inGap ? 'NONCANONICAL' : 'SEGV_MAPERR');
  }
});

if (machine.topByteIgnore) {
  check('a tagged address names its untagged memory (top-byte-ignore)', () => {
    const tag = 0x5an << 56n;
    assert.equal(probe(base | tag), 'readable');
    assert.equal(probe(noneStart | tag), 'protected');
    const read = safeRead(base | tag, 32);
    assert.deepEqual(read.data, safeRead(base, 32).data);
    const crossing = safeRead((noneStart - 8n) | tag, 32);
    assert.equal(crossing.bytesCopied, 8);
    assert.equal(crossing.fault.address, noneStart | tag);  // reported as asked, tag kept
  });
}

check('readU8 … readF64, and their faults', () => {
  const values = Buffer.alloc(64);
  keep.push(values);
  values.writeUInt8(0xfe, 0);
  values.writeUInt16LE(0xbeef, 1);  // misaligned on purpose
  values.writeUInt32LE(0xdeadbeef, 3);
  values.writeBigUInt64LE(0x0123456789abcdefn, 9);
  values.writeFloatLE(1.5, 17);
  values.writeDoubleLE(-2.25, 21);
  const at = addressOf(values);
  assert.deepEqual(readU8(at), { ok: true, value: 0xfe, fault: null });
  assert.equal(readI8(at).value, -2);
  assert.equal(readU16(at + 1n).value, 0xbeef);
  assert.equal(readI16(at + 1n).value, 0xbeef - 0x10000);
  assert.equal(readU32(at + 3n).value, 0xdeadbeef);
  assert.equal(readI32(at + 3n).value, 0xdeadbeef - 0x100000000);
  assert.equal(readU64(at + 9n).value, 0x0123456789abcdefn);
  assert.equal(readI64(at + 9n).value, 0x0123456789abcdefn);
  assert.equal(readF32(at + 17n).value, 1.5);
  assert.equal(readF64(at + 21n).value, -2.25);
  for (const read of [readU8, readU16, readU32, readU64, readF64]) {
    const faulted = read(noneStart);
    assert.equal(faulted.ok, false);
    assert.equal(faulted.fault.code, 'SEGV_ACCERR');
  }
  const straddling = readU64(noneStart - 4n);
  assert.equal(straddling.ok, false);
  assert.equal(straddling.fault.address, noneStart);
});

check('writeU8 … writeF64, and a write fault on a read-only page', () => {
  const values = Buffer.alloc(64);
  keep.push(values);
  const at = addressOf(values);
  assert.equal(writeU8(at, 0x81).ok, true);
  assert.equal(writeU16(at + 1n, 0x1234).ok, true);
  assert.equal(writeU32(at + 3n, 0x89abcdef).ok, true);
  assert.equal(writeU64(at + 9n, 0xfedcba9876543210n).ok, true);
  assert.equal(writeF32(at + 17n, 0.5).ok, true);
  assert.equal(writeF64(at + 21n, 1e100).ok, true);
  assert.equal(values.readUInt8(0), 0x81);
  assert.equal(values.readUInt16LE(1), 0x1234);
  assert.equal(values.readUInt32LE(3), 0x89abcdef);
  assert.equal(values.readBigUInt64LE(9), 0xfedcba9876543210n);
  assert.equal(values.readFloatLE(17), 0.5);
  assert.equal(values.readDoubleLE(21), 1e100);
  const roStart = readOnly.address + page;
  const before = readU32(roStart).value;
  const refused = writeU32(roStart, 0x41414141);
  assert.equal(refused.ok, false);
  assert.equal(refused.fault.code, 'SEGV_ACCERR');
  assert.equal(refused.fault.access, 'write');
  assert.equal(readU32(roStart).value, before);
});

check('readCString across a page end, and up to a fault', () => {
  const text = 'a C string that crosses from one page into the next';
  const start = base + page - 20n;
  safeMemcpy(start, Buffer.from(`${text}\0`), text.length + 1);
  const read = readCString(start);
  assert.equal(read.ok, true);
  assert.equal(read.value, text);
  assert.equal(read.bytesRead, text.length);
  for (const before of [1, 15, 16, 17, 40]) {
    const unterminated = noneStart - BigInt(before);
    safeMemcpy(unterminated, Buffer.alloc(before, 0x61), before);
    const cut = readCString(unterminated);
    assert.equal(cut.ok, false);
    assert.equal(cut.bytesRead, before);
    assert.equal(cut.partial, 'a'.repeat(before));
    assert.equal(cut.fault.address, noneStart);
    assert.equal(readCString(unterminated, { maxLength: before }).ok, true);
  }
});

check('scanMemory: matches across a page boundary, with wildcards, next to a PROT_NONE page', () => {
  fill(base, 2 * pageSize, 3);
  const marker = Buffer.from([0x13, 0x37, 0xc0, 0xde, 0x42, 0x99]);
  const places = [base + 5n, base + page - 3n, base + 2n * page - BigInt(marker.length)];
  for (const at of places) safeMemcpy(at, marker, marker.length);
  const window = { start: base, end: base + 3n * page };
  assert.deepEqual(scanMemory(marker, window), places);
  assert.deepEqual(scanMemory('13 37 ?? de : ff ff 00 ff', window), places);
  assert.deepEqual(scanMemory(marker, { start: base + 6n, end: base + 2n * page - 1n }), [places[1]]);
});

function runChild(script) {
  const emulator = (process.env.MEMPROBE_TEST_EMULATOR ?? '').split(/\s+/).filter(Boolean);
  const [command, ...prefix] = [...emulator, process.execPath];
  const prelude = `const memprobe = require(${JSON.stringify(root)}); const { binding } = require(${JSON.stringify(path.join(root, 'dist', 'common', 'native'))});\n`;
  const run = spawnSync(command, [...prefix, '-e', prelude + script], { encoding: 'utf8', timeout: 120_000 });
  if (run.error) throw run.error;
  return run;
}

check('the chain: a real crash outside the guard ends the process by SIGSEGV', () => {
  const run = runChild("console.log('touching'); binding._touchUnguarded(8n); console.log('survived');");
  assert.equal(run.signal, 'SIGSEGV', `status ${run.status}, stderr ${run.stderr}`);
  assert.match(run.stdout, /touching/);
  assert.doesNotMatch(run.stdout, /survived/);
});

check("the chain: behind process.on('SIGSEGV') (a handler that fixes nothing) the crash still ends it", () => {
  const run = runChild(
    "process.on('SIGSEGV', () => {}); setTimeout(() => { console.log('touching'); binding._touchUnguarded(16n); console.log('survived'); }, 10);",
  );
  assert.equal(run.signal, 'SIGSEGV', `status ${run.status}, stderr ${run.stderr}`);
  assert.doesNotMatch(run.stdout, /survived/);
});

// The chain must tell a write from a read (arm64 under qemu: by decoding the instruction, no esr_context): a
// read-only page can be read, so a store there taken for a load would look fixed and spin forever.
check("the chain: a store to a read-only page behind process.on('SIGSEGV') still ends it", () => {
  const run = runChild(
    "const ro = memprobe.mapPages(1, 'r'); process.on('SIGSEGV', () => {});" +
      " setTimeout(() => { console.log('storing'); binding._storeUnguarded(ro.address, 1); console.log('survived'); }, 10);",
  );
  assert.equal(run.signal, 'SIGSEGV', `status ${run.status}, signal ${run.signal}, stderr ${run.stderr}`);
  assert.match(run.stdout, /storing/);
  assert.doesNotMatch(run.stdout, /survived/);
});

check('the guard is still installed and ours', () => {
  assert.equal(memprobe.guardStatus().installed, true);
});

// A pool thread: the guard must catch its faults too (the thread unblocks SIGSEGV/SIGBUS first).
safeReadAsync(noneStart - 24n, 64)
  .then((read) => {
    assert.equal(read.bytesCopied, 24);
    assert.equal(read.fault.code, 'SEGV_ACCERR');
    assert.equal(read.fault.address, noneStart);
    console.log('ok safeReadAsync on a threadpool thread stops at the fault');
    pages.unmap();
    readOnly.unmap();
    console.log(`OK (${process.arch}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  })
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
