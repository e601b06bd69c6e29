// Reads and writes with { pid }: every typed read and write, the strings, hexdump, probe and isReadable aimed at
// a child process, compared with what the child reports about its own memory.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import * as readline from 'node:readline';

import * as fs from 'node:fs';

import * as memprobe from '../lib';
import { hexdump, isReadable, pageSize, probe, readCString, readUtf16, readUtf8, safeMemcpy, safeMemcpyAsync, safeRead, SystemError } from '../lib';
import { lastFault } from '../lib/memory/copy';
import { commandFor, spawnNode } from './helpers/child';

const P = BigInt(pageSize);

// name, width, the DataView method's suffix, a value, and another value to write.
const KINDS = [
  ['U8', 1, 'Uint8', 0xfe, 0x12],
  ['U16', 2, 'Uint16', 0xbeef, 0x1234],
  ['U32', 4, 'Uint32', 0xdeadbeef, 0x12345678],
  ['U64', 8, 'BigUint64', 0xfeedfacecafebeefn, 0x0102030405060708n],
  ['I8', 1, 'Int8', -2, -100],
  ['I16', 2, 'Int16', -12345, 321],
  ['I32', 4, 'Int32', -123456789, 987654321],
  ['I64', 8, 'BigInt64', -1234567890123n, 42n],
  ['F32', 4, 'Float32', 1.5, -0.25],
  ['F64', 8, 'Float64', -2.25e100, Math.PI],
  ['Pointer', 8, 'BigUint64', 0x7f00_1234_5678n, 0x5555_0000_1000n],
] as const;
const OFFSETS = KINDS.map((_, i) => KINDS.slice(0, i).reduce((sum, kind) => sum + kind[1], 0));

// The child: a Buffer of known values, a buffer to write into, and four pages: two read-write, one read-only
// holding strings at its end, then an unmapped page. It prints its layout, and on "report" what its target
// buffer holds as its own DataView reads it.
const CHILD = `
const memprobe = require(${JSON.stringify(path.join(__dirname, '..'))});
const KINDS = ${JSON.stringify(KINDS, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))};
const OFFSETS = ${JSON.stringify(OFFSETS)};
const big = (v) => (typeof v === 'string' && v.endsWith('n') ? BigInt(v.slice(0, -1)) : v);
const show = (v) => (typeof v === 'bigint' ? v + 'n' : v);
const values = Buffer.alloc(64);
const target = Buffer.alloc(64);
const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
KINDS.forEach(([, , method, value], i) => view(values)['set' + method](OFFSETS[i], big(value), true));
const read = (b, littleEndian) => KINDS.map(([, , method], i) => show(view(b)['get' + method](OFFSETS[i], littleEndian)));
const pages = memprobe.mapPages(4);
const P = memprobe.pageSize;
const end = pages.address + BigInt(3 * P);   // the end of the read-only page
const put = (address, bytes) => { if (!memprobe.safeMemcpy(address, Buffer.from(bytes), bytes.length).ok) throw new Error('put'); };
put(pages.address + BigInt(2 * P) - 3n, 'across\\0');                            // crosses into page 2
put(end - 20n, Buffer.from('wxy\\0', 'utf16le'));                                 // UTF-16, zero unit at end - 14
put(end - 9n, 'edge\\0');                                                         // NUL at end - 5
put(end - 3n, 'zzz');                                                             // no NUL before the unmapped page (end - 4 is one)
pages.protect(2 * P, P, 'r');
pages.unmap(3 * P, P);
console.log(JSON.stringify({
  values: memprobe.addressOf(values).toString(), target: memprobe.addressOf(target).toString(),
  pages: pages.address.toString(), little: read(values, true), big: read(values, false),
  readOnly: [...memprobe.safeRead(end - 20n, 20).data],
}));
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'report') console.log(JSON.stringify({ target: read(target, true), bytes: [...target], readOnly: [...memprobe.safeRead(end - 20n, 20).data] }));
  else process.exit(0);
});`;

interface Layout {
  values: bigint;
  target: bigint;
  pages: bigint;
  little: Array<number | string>;
  big: Array<number | string>;
  readOnly: number[];
}

const fromChild = (value: number | string): number | bigint => (typeof value === 'string' ? BigInt(value.slice(0, -1)) : value);

let child: ChildProcess;
let lines: AsyncIterator<string>;
let layout: Layout;
let pid: number;

async function nextLine(): Promise<string> {
  const { value, done } = await lines.next();
  if (done) throw new Error('the child exited');
  return value as string;
}

async function report(): Promise<{ target: Array<number | string>; bytes: number[]; readOnly: number[] }> {
  child.stdin!.write('report\n');
  return JSON.parse(await nextLine());
}

beforeAll(async () => {
  child = spawnNode(['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const raw = JSON.parse(await nextLine());
  layout = { ...raw, values: BigInt(raw.values), target: BigInt(raw.target), pages: BigInt(raw.pages) };
  pid = child.pid!;
});

afterAll(async () => {
  child.stdin!.end('exit\n');
  if (child.exitCode === null) await once(child, 'exit');
});

type Reader = (address: bigint, options?: object) => memprobe.ReadValue<number | bigint>;
type Writer = (address: bigint, value: number | bigint, options?: object) => memprobe.CopyResult;
const reader = (name: string) => (memprobe as unknown as Record<string, Reader>)[`read${name}`];
const writer = (name: string) => (memprobe as unknown as Record<string, Writer>)[`write${name}`];

describe('typed values in another process', () => {
  test.each(KINDS.map((kind, i) => [kind[0], i] as const))('read%s with { pid } reads what the child holds, in either byte order', (name, i) => {
    const at = layout.values + BigInt(OFFSETS[i]);
    expect(reader(name)(at, { pid })).toEqual({ ok: true, value: fromChild(layout.little[i]), fault: null });
    expect(reader(name)(at, { pid, bigEndian: true })).toEqual({ ok: true, value: fromChild(layout.big[i]), fault: null });
  });

  test('a read of a page the child has not mapped is the syscall strategy\'s EFAULT at its first byte', () => {
    const unmapped = layout.pages + 3n * P;
    for (const [name, width] of KINDS) {
      const at = unmapped - BigInt(width) + 1n;  // all but the first byte on the unmapped page
      expect(reader(name)(at, { pid })).toEqual({ ok: false, fault: { code: 'EFAULT', signal: null, address: unmapped, access: 'read' } });
    }
  });

  test('write* with { pid } lands in the child (it reads the new values back), in either byte order', async () => {
    KINDS.forEach(([name, , , , next], i) => {
      expect(writer(name)(layout.target + BigInt(OFFSETS[i]), next, { pid })).toEqual({ ok: true, bytesCopied: KINDS[i][1], fault: null });
    });
    expect((await report()).target.map(fromChild)).toEqual(KINDS.map((kind) => kind[4]));
    expect(memprobe.writeU32(layout.target, 0x11223344, { pid, bigEndian: true }).ok).toBe(true);
    expect((await report()).bytes.slice(0, 4)).toEqual([0x11, 0x22, 0x33, 0x44]);
  });

  test('a write to the child\'s read-only page is a write fault, and nothing of it is written', async () => {
    const readOnly = layout.pages + 2n * P;
    expect(memprobe.writeU64(readOnly + P - 8n, 0n, { pid })).toEqual({
      ok: false, bytesCopied: 0, fault: { code: 'EFAULT', signal: null, address: readOnly + P - 8n, access: 'write' },
    });
    expect(safeMemcpy(readOnly + P - 20n, Buffer.alloc(20), 20, { pid })).toEqual({
      ok: false, bytesCopied: 0, fault: { code: 'EFAULT', signal: null, address: readOnly + P - 20n, access: 'write' },
    });
    expect((await report()).readOnly).toEqual(layout.readOnly);
  });
});

describe('typed values in another process: faults and system-call errors exactly as the copy reports them', () => {
  const BOTH_ORDERS = [false, true];
  const view = (bytes: Buffer) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as Record<string, (...args: unknown[]) => number | bigint>;

  test('a read that runs into the unmapped page: safeRead({ pid })\'s fault, and its prefix in the fault state', () => {
    const unmapped = layout.pages + 3n * P;
    for (const [name, width] of KINDS) {
      for (let before = 0; before < width; before++) {
        for (const bigEndian of BOTH_ORDERS) {
          const at = unmapped - BigInt(before);
          const result = reader(name)(at, { pid, bigEndian });
          const state = lastFault();
          const copy = safeRead(at, width, { pid });
          expect({ name, before, bigEndian, copy: { ok: copy.ok, bytesCopied: copy.bytesCopied } }).toEqual({ name, before, bigEndian, copy: { ok: false, bytesCopied: before } });
          expect(result).toEqual({ ok: false, fault: copy.fault });
          expect(state).toEqual({ ok: false, bytesCopied: before, fault: copy.fault });
        }
      }
    }
  });

  test('a write from a writable page into the read-only one: safeMemcpy({ pid })\'s prefix and fault', async () => {
    // The bytes already there are written back (as the kind's value), so the strings the child holds stay as they are.
    const readOnly = layout.pages + 2n * P;
    for (const [name, width, method] of KINDS) {
      for (let before = 1; before < width; before++) {
        for (const bigEndian of BOTH_ORDERS) {
          const at = readOnly - BigInt(before);
          const bytes = safeRead(at, width, { pid }).data;
          const value = view(bytes)[`get${method}`](0, !bigEndian);
          const result = writer(name)(at, value, { pid, bigEndian });
          const copy = safeMemcpy(at, bytes, width, { pid });
          expect({ name, before, bigEndian, result }).toEqual({ name, before, bigEndian, result: copy });
          expect(result).toEqual({ ok: false, bytesCopied: before, fault: { code: 'EFAULT', signal: null, address: readOnly, access: 'write' } });
        }
      }
    }
    expect((await report()).readOnly).toEqual(layout.readOnly);
    expect(readCString(readOnly - 3n, { pid })).toMatchObject({ ok: true, value: 'across' });
  });

  test('write* with { pid, bigEndian: true }: the bytes DataView sets big-endian, every kind', async () => {
    const expected = Buffer.alloc(64);
    KINDS.forEach(([name, width, method, , next], i) => {
      view(expected)[`set${method}`](OFFSETS[i], next, false);
      expect(writer(name)(layout.target + BigInt(OFFSETS[i]), next, { pid, bigEndian: true })).toEqual({ ok: true, bytesCopied: width, fault: null });
    });
    const end = OFFSETS[OFFSETS.length - 1] + KINDS[KINDS.length - 1][1];
    expect((await report()).bytes.slice(0, end)).toEqual([...expected.subarray(0, end)]);
  });

  /** What `call` throws, as plain data (SystemError's own fields), or 'returned' when it does not throw. */
  function thrown(call: () => unknown): object | string {
    try {
      call();
      return 'returned';
    } catch (error) {
      const { name, code, errno, syscall, pid: target, message } = error as SystemError;
      return { name, code, errno, syscall, pid: target, message, isSystemError: error instanceof SystemError };
    }
  }

  test('a pid that is gone: every reader and writer, in either byte order, throws the SystemError the copy throws', () => {
    const gone = spawnSync('true').pid!;
    const readError = thrown(() => safeRead(0x1000n, 8, { pid: gone }));
    const writeError = thrown(() => safeMemcpy(0x1000n, Buffer.alloc(8), 8, { pid: gone }));
    expect(readError).toMatchObject({ code: 'ESRCH', syscall: 'process_vm_readv', pid: gone, isSystemError: true });
    expect(writeError).toMatchObject({ code: 'ESRCH', syscall: 'process_vm_writev', pid: gone, isSystemError: true });
    for (const [name, , , value] of KINDS) {
      for (const bigEndian of BOTH_ORDERS) {
        expect({ name, bigEndian, error: thrown(() => reader(name)(0x1000n, { pid: gone, bigEndian })) }).toEqual({ name, bigEndian, error: readError });
        expect({ name, bigEndian, error: thrown(() => writer(name)(0x1000n, value, { pid: gone, bigEndian })) }).toEqual({ name, bigEndian, error: writeError });
      }
    }
  });

  test('a pid that is gone: where its maps were opened first, the ESRCH has that open as its cause, naming the file', () => {
    const gone = spawnSync('true').pid!;
    const expected = thrown(() => safeRead(0x1000n, 8, { pid: gone }));
    const cause = { name: 'SystemError', code: 'ENOENT', syscall: 'open', path: `/proc/${gone}/maps`, pid: gone };
    for (const call of [() => memprobe.readMaps(gone), () => memprobe.modules(gone), () => probe(0x1000n, { pid: gone }), () => memprobe.scanReadable({ pid: gone })]) {
      let error: (Error & { cause?: unknown }) | undefined;
      try {
        call();
      } catch (e) {
        error = e as Error;
      }
      expect(thrown(() => { throw error; })).toEqual(expected);
      expect(error!.cause).toMatchObject(cause);
      expect((error!.cause as Error).message).toBe(`open '/proc/${gone}/maps' failed for pid ${gone}: ENOENT (No such file or directory)`);
    }
  });

  test('a process this one may not trace: every { pid } function throws the copy\'s EPERM, also where the refused open of its maps came first', async () => {
    // As in the copy's own test: as root, a child with CAP_SYS_PTRACE dropped reads this process (which keeps it);
    // otherwise this process's child reads pid 1 (root's). As root, pid 1 is asked too: a process whose maps the
    // kernel refuses to open (EACCES) where this one's it lets the child read, so both routes to the refusal are
    // taken (the child says whether pid 1's maps were refused; where they are not, only the first route is).
    const asRoot = process.getuid!() === 0;
    const targets = asRoot ? [process.pid, 1] : [1];
    if (!asRoot && !/^Uid:\s+0\s/m.test(fs.readFileSync('/proc/1/status', 'utf8'))) {
      console.warn('skipped: not root, and pid 1 is not root\'s either, so no process here is certain to refuse');
      return;
    }
    const script = `
      const memprobe = require(${JSON.stringify(path.join(__dirname, '..'))});
      const fs = require('node:fs');
      const KINDS = ${JSON.stringify(KINDS.map(([name, , , value]) => [name, typeof value === 'bigint' ? `${value}n` : value]))};
      const fields = (e) => ({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, pid: e.pid, message: e.message, isSystemError: e instanceof memprobe.SystemError });
      const thrown = (call) => { try { call(); return 'returned'; } catch (e) { return fields(e); } };
      const rejected = async (call) => { try { await call(); return 'returned'; } catch (e) { return fields(e); } };
      const causeOf = (call) => {
        try { call(); return 'returned'; } catch (e) {
          const c = e.cause;
          return c === undefined ? null : { code: c.code, syscall: c.syscall, path: c.path, pid: c.pid, message: c.message, isSystemError: c instanceof memprobe.SystemError };
        }
      };
      const big = (v) => (typeof v === 'string' ? BigInt(v.slice(0, -1)) : v);
      (async () => {
        const out = {};
        for (const pid of ${JSON.stringify(targets)}) {
          let mapsOpen = 'opened';
          try { fs.readFileSync('/proc/' + pid + '/maps'); } catch (e) { mapsOpen = e.code; }
          const reads = [], writes = [];
          for (const [name, value] of KINDS) {
            for (const bigEndian of [false, true]) {
              reads.push(thrown(() => memprobe['read' + name](0x1000n, { pid, bigEndian })));
              writes.push(thrown(() => memprobe['write' + name](0x1000n, big(value), { pid, bigEndian })));
            }
          }
          const others = {
            readCString: thrown(() => memprobe.readCString(0x1000n, { pid })),
            readUtf8: thrown(() => memprobe.readUtf8(0x1000n, 4, { pid })),
            readUtf16: thrown(() => memprobe.readUtf16(0x1000n, { pid })),
            hexdump: thrown(() => memprobe.hexdump(0x1000n, { pid, length: 16 })),
            readPointerChain: thrown(() => memprobe.readPointerChain(0x1000n, [0, 8], { pid })),
            probe: thrown(() => memprobe.probe(0x1000n, { pid })),
            isReadable: thrown(() => memprobe.isReadable(0x1000n, 8, { pid })),
            'isReadable, length 0': thrown(() => memprobe.isReadable(0x1000n, 0, { pid })),
            probeMany: thrown(() => memprobe.probeMany(new BigUint64Array([0x1000n]), { pid })),
            probeManyAsync: await rejected(() => memprobe.probeManyAsync(new BigUint64Array([0x1000n]), { pid })),
            scanReadable: thrown(() => memprobe.scanReadable({ pid })),
            scanMemory: thrown(() => memprobe.scanMemory('41 42', { pid })),
            scanMemoryIter: await rejected(async () => { for await (const _ of memprobe.scanMemoryIter('41 42', { pid })); }),
            modules: thrown(() => memprobe.modules(pid)),
            findModule: thrown(() => memprobe.findModule('libc.so.6', { pid })),
            findSymbol: thrown(() => memprobe.findSymbol('malloc', { pid })),
            'findSymbol in a module': thrown(() => memprobe.findSymbol('malloc', { module: 'libc.so.6', pid })),
            symbolize: thrown(() => memprobe.symbolize(0x1000n, { pid })),
            'symbolize, an array': thrown(() => memprobe.symbolize([0x1000n, 0x2000n], { pid })),
            parseAddress: thrown(() => memprobe.parseAddress('libc.so.6+0x10', { pid })),
          };
          out[pid] = {
            mapsOpen, read: thrown(() => memprobe.safeRead(0x1000n, 8, { pid })), write: thrown(() => memprobe.safeMemcpy(0x1000n, Buffer.alloc(8), 8, { pid })),
            reads, writes, others, maps: thrown(() => memprobe.readMaps(pid)), causes: {
              readMaps: causeOf(() => memprobe.readMaps(pid)), modules: causeOf(() => memprobe.modules(pid)),
              probe: causeOf(() => memprobe.probe(0x1000n, { pid })), scanReadable: causeOf(() => memprobe.scanReadable({ pid })),
              scanMemory: causeOf(() => memprobe.scanMemory('41 42', { pid })),
            },
          };
        }
        console.log(JSON.stringify(out));
      })();`;
    const command = commandFor(process.execPath, ['-e', script]).flat();
    const dropPtrace = ['setpriv', '--bounding-set=-sys_ptrace', '--inh-caps=-sys_ptrace'];
    const [file, ...args] = asRoot ? [...dropPtrace, ...command] : command;
    const run = spawnSync(file, args, { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const results = JSON.parse(run.stdout);
    let mapsRefused = false;
    for (const target of targets) {
      const { mapsOpen, read, write, reads, writes, others, maps, causes } = results[target];
      expect(read).toMatchObject({ code: 'EPERM', syscall: 'process_vm_readv', pid: target, isSystemError: true });
      expect(read.message).toMatch(/^process_vm_readv failed for pid \d+: EPERM \(Operation not permitted\)\. This process may not read that one: the kernel's ptrace access check/);
      expect(write).toMatchObject({ code: 'EPERM', syscall: 'process_vm_writev', pid: target, isSystemError: true });
      expect(reads).toEqual(Array(2 * KINDS.length).fill(read));
      expect(writes).toEqual(Array(2 * KINDS.length).fill(write));
      // Every other { pid } function: the very error safeRead throws, whatever it touched first.
      expect(others).toEqual(Object.fromEntries(Object.keys(others).map((name) => [name, read])));
      // readMaps reads no memory: it lists what the kernel lets the child open, and reports a refusal as the rest do.
      if (mapsOpen === 'opened') {
        expect({ maps, causes }).toEqual({ maps: 'returned', causes: { readMaps: 'returned', modules: null, probe: null, scanReadable: null, scanMemory: null } });
      } else {
        expect(maps).toEqual(read);
        mapsRefused = true;
        // The refused open is kept as the cause, naming the call and the path, in the C library's words whether
        // JavaScript (readMaps, modules) or the addon (probe, the scans) opened the file.
        const description = mapsOpen === 'EACCES' ? 'Permission denied' : 'Operation not permitted';
        const cause = {
          code: mapsOpen, syscall: 'open', path: `/proc/${target}/maps`, pid: target, isSystemError: true,
          message: expect.stringMatching(new RegExp(`^open '/proc/${target}/maps' failed for pid ${target}: ${mapsOpen} \\(${description}\\)`)),
        };
        expect({ mapsOpen, causes }).toEqual({
          mapsOpen: expect.stringMatching(/^(EACCES|EPERM)$/),
          causes: { readMaps: cause, modules: cause, probe: cause, scanReadable: cause, scanMemory: cause },
        });
      }
    }
    if (!mapsRefused) console.warn('no target\'s maps were refused to the child: only the route through a refused read was taken');
  });
});

describe('strings in another process', () => {
  const end = () => layout.pages + 3n * P;

  test('a C string across a page boundary, and one ending just before an unmapped page, read whole', () => {
    expect(readCString(layout.pages + 2n * P - 3n, { pid })).toEqual({ ok: true, value: 'across', fault: null, bytesRead: 6 });
    expect(readCString(end() - 9n, { pid })).toEqual({ ok: true, value: 'edge', fault: null, bytesRead: 4 });
    expect(readCString(end() - 9n, { pid, maxLength: 2 })).toEqual({ ok: true, value: 'ed', fault: null, bytesRead: 2 });
  });

  test('a C string that runs into the unmapped page: its prefix and EFAULT at the page\'s first byte', () => {
    expect(readCString(end() - 3n, { pid })).toEqual({
      ok: false, partial: 'zzz', bytesRead: 3, fault: { code: 'EFAULT', signal: null, address: end(), access: 'read' },
    });
  });

  test('readUtf16 up to its zero unit before the unmapped page; readUtf8 of a length, whole or cut by the page', () => {
    expect(readUtf16(end() - 20n, { pid })).toEqual({ ok: true, value: 'wxy', fault: null, bytesRead: 6 });
    expect(readUtf8(end() - 9n, 4, { pid })).toEqual({ ok: true, value: 'edge', fault: null, bytesRead: 4 });
    expect(readUtf8(end() - 9n, 12, { pid })).toEqual({
      ok: false, partial: 'edge\0\0zzz', bytesRead: 9, fault: { code: 'EFAULT', signal: null, address: end(), access: 'read' },
    });
  });
});

describe('hexdump, probe and isReadable of another process', () => {
  test('hexdump({ pid }) shows the child\'s bytes, up to the unmapped page', () => {
    const end = layout.pages + 3n * P;
    const bytes = safeRead(end - 9n, 9, { pid }).data;
    expect(hexdump(end - 9n, { pid, length: 32 })).toBe(hexdump(bytes, { offset: end - 9n }));
    expect(hexdump(end - 9n, { pid, length: 32 })).toContain('edge..zzz');
    // Bytes this process already has are in no other one.
    expect(() => hexdump(bytes, { pid })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"options.pid"') }));
  });

  test('probe({ pid }) and isReadable({ pid }) see the child\'s pages, not ours', () => {
    const pages = layout.pages;
    expect([0n, 1n, 2n, 3n].map((page) => probe(pages + page * P, { pid }))).toEqual(['readable', 'readable', 'readable', 'unmapped']);
    expect(isReadable(pages, 3 * pageSize, { pid })).toBe(true);
    expect(isReadable(pages + 1n, 3 * pageSize, { pid })).toBe(false);
    expect(isReadable(pages + 3n * P, 0, { pid })).toBe(true);
  });
});

describe('safeMemcpy with { pid }', () => {
  test('one side an address in the child, the other ours: a read or a write', async () => {
    const ours = Buffer.alloc(9);
    expect(safeMemcpy(ours, layout.values, 9, { pid })).toEqual({ ok: true, bytesCopied: 9, fault: null });
    expect(ours.readUInt32LE(3)).toBe(0xdeadbeef);
    expect(await safeMemcpyAsync(layout.target + 56n, Buffer.from('memprobe'), 8, { pid })).toEqual({ ok: true, bytesCopied: 8, fault: null });
    expect(Buffer.from((await report()).bytes.slice(56)).toString()).toBe('memprobe');
  });

  test('two addresses, or none, with a pid: ERR_INVALID_ARG_VALUE before anything is copied', async () => {
    const refused = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"options.pid"') });
    expect(() => safeMemcpy(layout.target, layout.values, 8, { pid })).toThrow(refused);
    expect(() => safeMemcpy(Buffer.alloc(8), Buffer.alloc(8), 8, { pid })).toThrow(refused);
    await expect(safeMemcpyAsync(layout.target, layout.values, 8, { pid })).rejects.toThrow(refused);
    expect(() => safeMemcpy(Buffer.alloc(8), layout.values, 8, { pid, strategy: 'signal' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
