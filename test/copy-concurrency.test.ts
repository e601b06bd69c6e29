// Faulting copies at the same time on several threads: worker_threads, the libuv threadpool, the main thread.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { mapPages, pageSize, safeMemcpyAsync, safeRead, safeReadAsync, type CopyResult, type Strategy } from '../lib';
import { PACKAGE_ROOT, runChild } from './helpers/child';
import { Layout, expectedPattern } from './helpers/layout';

const P = pageSize;

// Reads across an rw|none boundary from many offsets and checks every result; returns how many were wrong.
// The same code runs in workers (as a string) and on the main thread.
const CHECK_BOUNDARY = `
function checkBoundary(memprobe, iterations) {
  const P = memprobe.pageSize;
  const mapping = memprobe.mapPages(2);
  const pattern = Buffer.alloc(P);
  for (let i = 0; i < P; i++) pattern[i] = (i * 13 + 5) & 0xff;
  memprobe.safeMemcpy(mapping.address, pattern, P);
  mapping.protect(P, P, 'none');
  let wrong = 0;
  for (let i = 0; i < iterations; i++) {
    const strategy = i % 2 ? 'signal' : 'syscall';
    const offset = P - 1 - (i % 200);
    const length = 1 + (i % 300);
    const dst = Buffer.alloc(length, 0xee);
    const r = memprobe.safeMemcpy(dst, mapping.address + BigInt(offset), length, { strategy });
    const prefix = Math.min(length, P - offset);
    const good = r.bytesCopied === prefix && r.ok === (prefix === length)
      && dst.subarray(0, prefix).equals(pattern.subarray(offset, offset + prefix))
      && dst.subarray(prefix).every((b) => b === 0xee)
      && (r.ok || r.fault.address === mapping.address + BigInt(P));
    if (!good) wrong++;
  }
  mapping.unmap();
  return wrong;
}`;

function runWorker(iterations: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
    ${CHECK_BOUNDARY}
    parentPort.postMessage(checkBoundary(memprobe, workerData));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: iterations });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

describe('concurrency', () => {
  test('six worker_threads and the main thread fault at the same time, every result exact', async () => {
    const checkBoundary = new Function('memprobe', 'iterations', `${CHECK_BOUNDARY}; return checkBoundary(memprobe, iterations);`);
    const workers = Array.from({ length: 6 }, () => runWorker(4000));
    const mainWrong = checkBoundary(require('../lib'), 4000) as number;
    expect(await Promise.all(workers)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(mainWrong).toBe(0);
  });

  test('hundreds of async copies in flight on the threadpool, mixed faults and strategies, each exact', async () => {
    const layout = new Layout(['rw', 'none', 'rw', 'r']);
    const target = new Layout(['rw', 'r', 'rw', 'none']);  // written to, so reads of `layout` keep the pattern
    try {
      const jobs: Array<{ promise: Promise<CopyResult>; expected: number; dst?: Buffer; offset: number }> = [];
      for (let i = 0; i < 600; i++) {
        const strategy: Strategy = i % 3 ? 'signal' : 'syscall';
        const offset = (i * 97) % (4 * P - 3001);  // stays inside the layout
        const length = 1 + ((i * 31) % 3000);
        if (i % 4 === 3) {
          // A write into the mapping from a buffer: stops at the first page that is not rw.
          const src = Buffer.alloc(length, i & 0xff);
          jobs.push({ promise: safeMemcpyAsync(target.address + BigInt(offset), src, length, { strategy }), expected: target.writablePrefix(offset, length), offset });
        } else {
          const dst = Buffer.alloc(length, 0xee);
          jobs.push({ promise: safeMemcpyAsync(dst, layout.address + BigInt(offset), length, { strategy }), expected: layout.readablePrefix(offset, length), dst, offset });
        }
      }
      const results = await Promise.all(jobs.map((job) => job.promise));
      results.forEach((result, i) => {
        const job = jobs[i];
        expect([i, result.bytesCopied]).toEqual([i, job.expected]);
        if (job.dst) {
          expect(job.dst.subarray(0, job.expected).equals(expectedPattern(job.offset, job.expected))).toBe(true);
          expect(job.dst.subarray(job.expected).every((b) => b === 0xee)).toBe(true);
        }
      });
      // A read straight through the pool, both strategies.
      for (const strategy of ['signal', 'syscall'] as Strategy[]) {
        const read = await safeReadAsync(layout.address + BigInt(P - 10), 40, { strategy });
        expect(read.bytesCopied).toBe(10);
        expect(read.data.equals(expectedPattern(P - 10, 10))).toBe(true);
        expect(read.fault?.address).toBe(layout.address + BigInt(P));
      }
    } finally {
      layout.release();
      target.release();
    }
  });

  test('the async result equals the synchronous one', async () => {
    const mapping = mapPages(3);
    mapping.protect(2 * P, P, 'none');
    try {
      for (const strategy of ['signal', 'syscall'] as Strategy[]) {
        const sync = safeRead(mapping.address + 100n, 3 * P, { strategy });
        const async = await safeReadAsync(mapping.address + 100n, 3 * P, { strategy });
        expect(async).toEqual(sync);
      }
    } finally {
      mapping.unmap();
    }
  });

  test('a worker terminated with async copies still in flight goes away cleanly', () => {
    const child = runChild(`
      const { Worker } = require('node:worker_threads');
      const code = 'const m = require(' + JSON.stringify(${JSON.stringify(PACKAGE_ROOT)}) + ');'
        + 'const src = Buffer.alloc(16 << 20, 1);'
        + 'for (let i = 0; i < 64; i++) { m.safeMemcpyAsync(Buffer.alloc(16 << 20), m.addressOf(src), 16 << 20); m.safeReadAsync(0n, 64); }'
        + 'require("node:worker_threads").parentPort.postMessage("queued");';
      const worker = new Worker(code, { eval: true });
      worker.on('message', async () => {
        await worker.terminate();
        const after = await memprobe.safeReadAsync(0n, 8);
        console.log('terminated', after.fault.code);
      });`);
    expect({ status: child.status, signal: child.signal, stderr: child.stderr, stdout: child.stdout })
      .toEqual({ status: 0, signal: null, stderr: '', stdout: 'terminated SEGV_MAPERR\n' });
  });

  test('memory JavaScript owns stays alive until the promise settles', () => {
    const child = runChild(`
      let finalized = false;
      const registry = new FinalizationRegistry(() => { finalized = true; });
      const source = Buffer.alloc(64 << 20, 7);
      const address = memprobe.addressOf(source);
      let pending;
      (() => {
        const target = Buffer.alloc(64 << 20);
        registry.register(target, 'target');
        pending = memprobe.safeMemcpyAsync(target, address, 64 << 20).then((r) => [r, finalized]);
      })();
      for (let i = 0; i < 5; i++) gc();
      pending.then(([result, finalizedBefore]) => {
        console.log(JSON.stringify({ ok: result.ok, finalizedBefore }));
      });`, { nodeArgs: ['--expose-gc'] });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ ok: true, finalizedBefore: false });
  });
  test('a resizable ArrayBuffer resized while its async copy waits: shrinking ends the copy at the first released page, growing changes nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-'));
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // One threadpool thread, held in open() of the FIFO until the resize is done: the copy queued behind it
    // starts only then, whatever the timing.
    const child = runChild(`
      const fs = require('node:fs');
      const { addressOf, mapPages, pageSize: P, safeMemcpy, safeMemcpyAsync, safeRead } = memprobe;
      async function afterResize(copy, resize) {
        const blocker = fs.promises.open(${JSON.stringify(fifo)}, 'r');
        const promise = copy();
        resize();
        fs.closeSync(fs.openSync(${JSON.stringify(fifo)}, 'w'));
        await (await blocker).close();
        const { ok, bytesCopied, fault } = await promise;
        return { ok, bytesCopied, fault: fault && { ...fault, address: String(fault.address) } };
      }
      (async () => {
        const report = [];
        for (const strategy of ['signal', 'syscall']) {
          // The source shrinks from 3 pages to 1 page + 100 bytes.
          let buffer = new ArrayBuffer(3 * P, { maxByteLength: 8 * P });
          new Uint8Array(buffer).fill(7);
          const raw = mapPages(3);
          safeMemcpy(raw.address, Buffer.alloc(3 * P, 0xee), 3 * P);
          const fromBuffer = await afterResize(() => safeMemcpyAsync(raw.address, new Uint8Array(buffer), 3 * P, { strategy }), () => buffer.resize(P + 100));
          const landed = safeRead(raw.address, 3 * P).data;
          report.push({ strategy, side: 'src', base: String(addressOf(buffer)), ...fromBuffer,
            landed: [landed.subarray(0, P + 100).every((b) => b === 7), landed.subarray(P + 100, 2 * P).every((b) => b === 0), landed.subarray(2 * P).every((b) => b === 0xee)] });
          // The destination shrinks the same way.
          buffer = new ArrayBuffer(3 * P, { maxByteLength: 8 * P });
          const toBuffer = await afterResize(() => safeMemcpyAsync(new Uint8Array(buffer), raw.address, 3 * P, { strategy }), () => buffer.resize(P + 100));
          report.push({ strategy, side: 'dst', base: String(addressOf(buffer)), ...toBuffer, landed: [new Uint8Array(buffer).every((b) => b === 7)] });
          // The source grows.
          buffer = new ArrayBuffer(3 * P, { maxByteLength: 8 * P });
          new Uint8Array(buffer).fill(9);
          const grown = await afterResize(() => safeMemcpyAsync(raw.address, new Uint8Array(buffer), 3 * P, { strategy }), () => buffer.resize(6 * P));
          report.push({ strategy, side: 'grown', ...grown, landed: [safeRead(raw.address, 3 * P).data.every((b) => b === 9)] });
          raw.unmap();
        }
        console.log(JSON.stringify(report));
      })();`, { env: { ...process.env, UV_THREADPOOL_SIZE: '1' } });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(child).toMatchObject({ status: 0, signal: null, stderr: '' });
    const report = JSON.parse(child.stdout) as Array<{ strategy: Strategy; side: string; base?: string }>;
    const expected = report.map(({ strategy, side, base }) => {
      if (side === 'grown') return { strategy, side, ok: true, bytesCopied: 3 * P, fault: null, landed: [true] };
      const fault = {
        code: strategy === 'signal' ? 'SEGV_ACCERR' : 'EFAULT',
        signal: strategy === 'signal' ? 'SIGSEGV' : null,
        address: String(BigInt(base!) + BigInt(2 * P)),  // the first page the shrink released, inside the buffer
        access: side === 'src' ? 'read' : 'write',
      };
      return { strategy, side, base, ok: false, bytesCopied: 2 * P, fault, landed: side === 'src' ? [true, true, true] : [true] };
    });
    expect(report.map((r) => `${r.strategy} ${r.side}`)).toEqual(['signal src', 'signal dst', 'signal grown', 'syscall src', 'syscall dst', 'syscall grown']);
    expect(report).toEqual(expected);
  });
});
