// monitorAccess: the first touch of each page is reported once, by address, whoever makes it (JavaScript, a C
// fixture's threads, memprobe's own guarded copies, the threadpool, a worker), and then goes on; real faults still
// end the process as they would without memprobe. Cases that could kill the process run in a child.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { Worker } from 'node:worker_threads';

import { type Access, mapPages, monitorAccess, pageSize, probe, safeMemcpy, safeRead, safeReadAsync, trackWrites } from '../lib';
import { binding } from '../lib/common/native';
import { faultSignalsToDefaultMissing, syscallCopyMissing, testNeeding } from './helpers/capabilities';
import { commandFor, PACKAGE_ROOT, runChild } from './helpers/child';
import { ending, notes, runWithAndWithout } from './helpers/foreign';
import { foreignHandlersAddon } from './helpers/native-build';
import { buildFixture } from './helpers/native-fixture';

const PAGE = BigInt(pageSize);
const FIXTURE = JSON.stringify(buildFixture('access-threads'));

interface Fixture {
  codePage(): bigint;
  touch(addresses: BigUint64Array, ops: Uint8Array): Int32Array;
}

/** Resolves once the loop has drained the reports made so far (a report's wake-up runs before setImmediate). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Whole pages inside a fresh JavaScript buffer: [first, first + count pages). */
function pagesOfBuffer(count: number): { view: Uint8Array; first: bigint; offset: number } {
  const view = new Uint8Array((count + 1) * pageSize);
  const address = BigInt(binding.addressOf(view));
  const first = (address + PAGE - 1n) / PAGE * PAGE;
  return { view, first, offset: Number(first - address) };
}

/** Why trackWrites' 'pagemap-scan' cannot run here (what it says when refused), or null. */
const pagemapScanMissing: string | null = (() => {
  const pages = mapPages(1);
  try {
    trackWrites({ start: pages.address, end: pages.address + PAGE }, { mechanism: 'pagemap-scan' }).stop();
    return null;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_WRITE_TRACKING_UNAVAILABLE') return (error as Error).message;
    throw error;
  } finally {
    pages.unmap();
  }
})();

describe('monitorAccess', () => {
  test('JavaScript reads and writes of a buffer: one report per page, read or write, on this thread', async () => {
    const { view, first, offset } = pagesOfBuffer(4);
    view[offset + 2 * pageSize + 9] = 42;  // before the monitor: not reported
    const reports: Access[] = [];
    const before = process.hrtime.bigint();
    const monitor = monitorAccess([{ start: first, end: first + 4n * PAGE }], (access) => reports.push(access));
    try {
      const read = view[offset + 2 * pageSize + 9];
      view[offset + pageSize + 100] = 7;
      view[offset + pageSize + 101] = 8;  // the same page again: no second report
      void view[offset + 2 * pageSize];
      expect(read).toBe(42);
      expect(reports).toEqual([]);  // delivered on the loop, not inside the access
      await turn();
    } finally {
      monitor.stop();
    }
    expect(reports.map((r) => [r.operation, r.page - first, r.address - first, r.range])).toEqual([
      ['read', 2n * PAGE, 2n * PAGE + 9n, 0],
      ['write', PAGE, PAGE + 100n, 0],
    ]);
    for (const report of reports) {
      expect(report.threadId).toBe(process.pid);
      expect(report.time).toBeGreaterThanOrEqual(before);
      expect(report.time).toBeLessThanOrEqual(process.hrtime.bigint());
      expect(report.pc).toBeGreaterThan(0n);
    }
    expect(view[offset + pageSize + 101]).toBe(8);
    expect(probe(first)).toBe('readable');  // never touched: restored by stop()
    view[offset] = 1;                        // and writable again
  });

  test('guarded copies over monitored pages complete and report (a read, a write, the threadpool)', async () => {
    const pages = mapPages(3);
    const reports: Access[] = [];
    const monitor = monitorAccess([{ start: pages.address, end: pages.address + 3n * PAGE }], (access) => reports.push(access));
    try {
      const read = safeRead(pages.address + 16n, 32);
      expect(read.ok).toBe(true);
      const written = safeMemcpy(pages.address + PAGE, Buffer.alloc(64, 3), 64);
      expect(written).toMatchObject({ ok: true, bytesCopied: 64 });
      const async = await safeReadAsync(pages.address + 2n * PAGE, 8);
      expect(async.ok).toBe(true);
      await turn();
      expect(safeRead(pages.address + PAGE, 4).data).toEqual(Buffer.alloc(4, 3));
    } finally {
      monitor.stop();
      pages.unmap();
    }
    expect(reports.map((r) => [r.operation, r.page - pages.address])).toEqual([['read', 0n], ['write', PAGE], ['read', 2n * PAGE]]);
    expect(reports[2].threadId).not.toBe(process.pid);  // a threadpool thread
  });

  test('a C fixture\'s threads reading, writing and executing: each reported with its thread', async () => {
    const fixture = require(buildFixture('access-threads')) as Fixture;
    const pages = mapPages(2);
    const code = fixture.codePage();
    const reports: Access[] = [];
    const monitor = monitorAccess([
      { start: pages.address, end: pages.address + 2n * PAGE },
      { start: code, end: code + PAGE },
    ], (access) => reports.push(access));
    let tids: Int32Array;
    try {
      tids = fixture.touch(new BigUint64Array([pages.address + 5n, pages.address + PAGE + 6n, code]), new Uint8Array([0, 1, 2]));
      await turn();
    } finally {
      monitor.stop();
    }
    const byPage = new Map(reports.map((r) => [r.page, r]));
    expect(reports).toHaveLength(3);
    expect(byPage.get(pages.address)).toMatchObject({ operation: 'read', range: 0, address: pages.address + 5n, threadId: tids[0] });
    expect(byPage.get(pages.address + PAGE)).toMatchObject({ operation: 'write', range: 0, threadId: tids[1] });
    expect(byPage.get(code)).toMatchObject({ operation: 'execute', range: 1, address: code, pc: code, threadId: tids[2] });
    expect(safeRead(pages.address + PAGE + 6n, 1).data?.[0]).toBe(0x5a);
    expect(probe(code)).toBe('readable');
    pages.unmap();
  });

  test('a worker touching this thread\'s monitored pages: reported here, with the worker\'s thread id', async () => {
    const pages = mapPages(2);
    const reports: Access[] = [];
    const monitor = monitorAccess([{ start: pages.address, end: pages.address + 2n * PAGE }], (access) => reports.push(access));
    try {
      const worker = new Worker(`
        const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
        const { parentPort, workerData } = require('node:worker_threads');
        parentPort.postMessage(memprobe.safeRead(workerData, 4).ok);`, { eval: true, workerData: pages.address + PAGE + 4n });
      const [ok] = await once(worker, 'message');
      await worker.terminate();
      expect(ok).toBe(true);
      await turn();
    } finally {
      monitor.stop();
      pages.unmap();
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ operation: 'read', page: pages.address + PAGE, address: pages.address + PAGE + 4n });
    expect(reports[0].threadId).not.toBe(process.pid);
  });

  testNeeding(faultSignalsToDefaultMissing())('faults the monitors do not own are untouched: a guarded copy over another protected page, a stopped monitor\'s page protected again', () => {
    const child = runChild(`
      const fixture = require(${FIXTURE});
      const PAGE = BigInt(memprobe.pageSize);
      const pages = memprobe.mapPages(3);
      pages.protect(2 * memprobe.pageSize, memprobe.pageSize, 'none');
      const monitor = memprobe.monitorAccess([{ start: pages.address, end: pages.address + PAGE }], () => undefined);
      const other = memprobe.safeRead(pages.address + 2n * PAGE, 8);
      console.log(other.ok, other.ok || other.fault.code);
      monitor.stop();
      pages.protect(0, memprobe.pageSize, 'r');
      console.log(memprobe.safeRead(pages.address, 1).ok);
      fixture.store(pages.address, 1);  // a write to a read-only page inside the tombstone: a real crash
      console.log('survived');`);
    expect(child).toMatchObject({ status: null, signal: 'SIGSEGV', stdout: 'false SEGV_ACCERR\ntrue\n' });
  });

  test('two monitors over disjoint ranges each get their own pages; an overlapping third is refused', async () => {
    const pages = mapPages(4);
    const first: bigint[] = [];
    const second: bigint[] = [];
    const a = monitorAccess([{ start: pages.address, end: pages.address + 2n * PAGE }], (access) => first.push(access.page - pages.address));
    const b = monitorAccess([{ start: pages.address + 3n * PAGE, end: pages.address + 4n * PAGE }, { start: pages.address + 2n * PAGE, end: pages.address + 3n * PAGE }],
      (access) => second.push(access.page - pages.address));
    try {
      expect(() => monitorAccess([{ start: pages.address + PAGE, end: pages.address + 2n * PAGE }], () => undefined))
        .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('no other running monitor') }));
      for (const page of [3n, 1n, 2n, 0n]) safeRead(pages.address + page * PAGE, 1);
      await turn();
      b.stop();
      // a stopped monitor's pages can be monitored again
      const c = monitorAccess([{ start: pages.address + 2n * PAGE, end: pages.address + 3n * PAGE }], (access) => second.push(access.page - pages.address + 100n));
      safeRead(pages.address + 2n * PAGE, 1);
      await turn();
      c.stop();
    } finally {
      a.stop();
      b.stop();
      pages.unmap();
    }
    expect(first).toEqual([PAGE, 0n]);
    expect(second).toEqual([3n * PAGE, 2n * PAGE, 2n * PAGE + 100n]);
  });

  test('stop() delivers the reports not yet delivered before it returns, and restores the pages never touched', () => {
    const pages = mapPages(3);
    const reports: bigint[] = [];
    const monitor = monitorAccess([{ start: pages.address, end: pages.address + 3n * PAGE }], (access) => reports.push(access.page));
    safeRead(pages.address + PAGE, 1);
    monitor.stop();
    expect(reports).toEqual([pages.address + PAGE]);
    monitor.stop();
    expect(reports).toHaveLength(1);
    expect([0n, 1n, 2n].map((page) => probe(pages.address + page * PAGE))).toEqual(['readable', 'readable', 'readable']);
    pages.unmap();
  });

  test('stop() called from onAccess: the reports already taken go first, then the rest, in order', async () => {
    const pages = mapPages(4);
    const order: bigint[] = [];
    const monitor = monitorAccess([{ start: pages.address, end: pages.address + 4n * PAGE }], (access) => {
      order.push((access.page - pages.address) / PAGE);
      if (order.length === 1) {
        safeRead(pages.address + 3n * PAGE, 1);  // reported after the two already taken
        monitor.stop();
      }
    });
    try {
      safeRead(pages.address + 2n * PAGE, 1);
      safeRead(pages.address, 1);
      await turn();  // the loop's drain takes both, and delivers the first
    } finally {
      monitor.stop();
      pages.unmap();
    }
    expect(order).toEqual([2n, 0n, 3n]);
  });

  test('a running monitor keeps the process alive until stop(), unless unref\'d', () => {
    const script = (unref: boolean) => `
      const pages = memprobe.mapPages(1);
      const monitor = memprobe.monitorAccess([{ start: pages.address, end: pages.address + BigInt(memprobe.pageSize) }], (a) => console.log(a.operation));
      ${unref ? 'monitor.unref().ref().unref();' : 'setTimeout(() => { console.log("stopping"); monitor.stop(); }, 300).unref();  // only the monitor holds the loop'}
      memprobe.safeRead(pages.address, 1);`;
    expect(runChild(script(false))).toEqual({ status: 0, signal: null, stdout: 'read\nstopping\n', stderr: '' });
    expect(runChild(script(true))).toMatchObject({ status: 0, signal: null, stderr: '' });
  });

  test('an exception thrown by onAccess is uncaught, after the other reports were delivered', () => {
    const child = runChild(`
      const pages = memprobe.mapPages(2);
      const seen = [];
      process.on('uncaughtException', (error) => { console.log('uncaught ' + error.message + ' after ' + seen.length); monitor.stop(); });
      const monitor = memprobe.monitorAccess([{ start: pages.address, end: pages.address + 2n * BigInt(memprobe.pageSize) }], (access) => {
        seen.push(access.page);
        if (seen.length === 1) throw new Error('boom');
      });
      memprobe.safeRead(pages.address, 1);
      memprobe.safeRead(pages.address + BigInt(memprobe.pageSize), 1);`);
    expect(child).toEqual({ status: 0, signal: null, stdout: 'uncaught boom after 2\n', stderr: '' });
  });

  testNeeding(syscallCopyMissing)('another process reading is not an access: process_vm_readv fails with EFAULT on an armed page, /proc/<pid>/mem reads it; neither reports', async () => {
    const [file, args] = commandFor(process.execPath, ['-e', `
      const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
      const pages = memprobe.mapPages(1);
      memprobe.safeMemcpy(pages.address, Buffer.from('monitored'), 9);
      const reports = [];
      const monitor = memprobe.monitorAccess([{ start: pages.address, end: pages.address + BigInt(memprobe.pageSize) }], (a) => reports.push(a.operation));
      console.log(pages.address.toString());
      process.stdin.once('data', () => {
        setImmediate(() => {
          console.log(JSON.stringify(reports));
          const local = memprobe.safeRead(pages.address, 9);
          setImmediate(() => { console.log(JSON.stringify([reports, local.data.toString()])); monitor.stop(); process.exit(0); });
        });
      });`]);
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const address = BigInt((await iterator.next()).value as string);
    const remote = safeRead(address, 9, { pid: child.pid as number });
    // /proc/<pid>/mem reads with FOLL_FORCE, which the kernel lets read a PROT_NONE page that may be readable
    const viaMem = Buffer.alloc(9);
    const fd = fs.openSync(`/proc/${child.pid}/mem`, 'r');
    try {
      fs.readSync(fd, viaMem, 0, 9, address);
    } finally {
      fs.closeSync(fd);
    }
    child.stdin.write('go\n');
    const afterRemote = JSON.parse((await iterator.next()).value as string);
    const afterLocal = JSON.parse((await iterator.next()).value as string);
    lines.close();
    expect(remote.ok).toBe(false);
    expect(remote.ok ? null : remote.fault.code).toBe('EFAULT');
    expect(viaMem.toString()).toBe('monitored');
    expect(afterRemote).toEqual([]);
    expect(afterLocal).toEqual([['read'], 'monitored']);
  });

  test('stop() while native threads race over the pages: no crash, every page restored, each page reported at most once', () => {
    const child = runChild(`
      const fixture = require(${FIXTURE});
      const PAGE = BigInt(memprobe.pageSize);
      const pages = memprobe.mapPages(1024);
      const targets = new BigUint64Array(1024).map((_, i) => pages.address + BigInt(i) * PAGE + 8n);
      const seen = [];
      let rounds = 0;
      for (let i = 0; i < 40; i++) {
        const monitor = memprobe.monitorAccess([{ start: pages.address, end: pages.address + 1024n * PAGE }], (a) => seen.push(a.page));
        fixture.startHammer(targets, 4);
        while (fixture.hammering() === 0 && i % 2 === 0) {}  // every other round: stop only once the threads are going
        monitor.stop();
        rounds += fixture.stopHammer();
        if (new Set(seen).size !== seen.length) throw new Error('a page reported twice in round ' + i);
        seen.length = 0;
        const codes = [...targets].map((t) => memprobe.probe(t));
        if (codes.some((c) => c !== 'readable')) throw new Error('not restored: ' + codes.join());
      }
      console.log(rounds > 0 ? 'ok' : 'no rounds');`, { timeoutMs: 60_000 });
    expect(child).toEqual({ status: 0, signal: null, stdout: 'ok\n', stderr: '' });
  });

  test('a worker\'s monitors stop when the worker is terminated: the pages are restored', () => {
    const child = runChild(`
      const { Worker } = require('node:worker_threads');
      const pages = memprobe.mapPages(2);
      const worker = new Worker(\`
        const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
        const { parentPort, workerData } = require('node:worker_threads');
        memprobe.monitorAccess([{ start: workerData, end: workerData + 2n * BigInt(memprobe.pageSize) }], (a) => parentPort.postMessage(a.page));
        parentPort.postMessage('ready');\`, { eval: true, workerData: pages.address });
      const messages = [];
      worker.on('message', async (message) => {
        messages.push(message);
        if (message !== 'ready') return;
        memprobe.safeRead(pages.address, 1);  // this thread's access, reported on the worker's loop
        await new Promise((resolve) => setTimeout(resolve, 200));
        await worker.terminate();
        console.log(memprobe.probe(pages.address + BigInt(memprobe.pageSize)), messages.length, messages[1] === pages.address);
      });`);
    expect(child).toEqual({ status: 0, signal: null, stdout: 'readable 2 true\n', stderr: '' });
  });

  test('a page a foreign fixing handler protects after its first touch: the later faults still reach the handler', () => {
    const runs = runWithAndWithout(`
      addon.installFixing({ quiet: true });
      loadMemprobe();
      let monitor = null;
      const reports = [];
      if (memprobe) {
        monitor = memprobe.monitorAccess([{ start: addon.page, end: addon.page + BigInt(addon.pageSize) }], (a) => reports.push(a.operation));
        addon.load(addon.page);  // the first touch: the monitor's
      }
      console.log('fixed', addon.protectAndStore(3));
      setImmediate(() => { note(reports); if (monitor) monitor.stop(); });`);
    expect(ending(runs.with)).toEqual(ending(runs.without));
    expect(runs.without).toMatchObject({ status: 0, signal: null, stdout: 'fixed 3\n' });
    expect(notes(runs.with)).toEqual([['read']]);
  });

  test('monitorAccess takes the guard back from a handler installed over it natively, so the first touch is claimed', () => {
    const child = runChild(`
      const addon = require(${JSON.stringify(foreignHandlersAddon())});
      addon.installReporter();  // over the guard, by a plain sigaction: it would report and let the retry die
      const pages = memprobe.mapPages(1);
      const reports = [];
      const monitor = memprobe.monitorAccess([{ start: pages.address, end: pages.address + BigInt(memprobe.pageSize) }], (a) => reports.push(a.operation));
      addon.load(pages.address);
      setImmediate(() => { monitor.stop(); console.log(JSON.stringify(reports), memprobe.guardStatus().previous.SIGSEGV.startsWith('handler')); });`);
    expect(child).toEqual({ status: 0, signal: null, stdout: '["read"] true\n', stderr: '' });
  });

  testNeeding(faultSignalsToDefaultMissing())('a write to a monitored page whose own protection is read-only dies exactly as without memprobe', () => {
    const runs = runWithAndWithout(`
      const fixture = require(${FIXTURE});
      loadMemprobe();
      const page = fixture.codePage();  // r-x: reads and calls allowed, writes a real fault
      if (memprobe) {
        const monitor = memprobe.monitorAccess([{ start: page, end: page + BigInt(addon.pageSize) }], () => undefined);
      }
      console.log('storing');
      fixture.store(page + 8n, 1);
      console.log('survived');`, { loadAddon: true });
    expect(ending(runs.with)).toEqual(ending(runs.without));
    expect(runs.without).toMatchObject({ signal: 'SIGSEGV', stdout: 'storing\n' });
  });

  test('at most 64 monitors run at once; a slot freed by stop() serves again', () => {
    const pages = mapPages(65);
    const monitors = Array.from({ length: 64 }, (_, i) => monitorAccess([{ start: pages.address + BigInt(i) * PAGE, end: pages.address + BigInt(i + 1) * PAGE }], () => undefined));
    const last = { start: pages.address + 64n * PAGE, end: pages.address + 65n * PAGE };
    try {
      expect(() => monitorAccess([last], () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('at most 64') }));
      expect(probe(last.start)).toBe('readable');
      monitors.pop()?.stop();
      monitors.push(monitorAccess([last], () => undefined));
    } finally {
      for (const monitor of monitors) monitor.stop();
      pages.unmap();
    }
  });

  testNeeding(pagemapScanMissing)('a monitor and a pagemap-scan write tracker over the same pages work together, in either order', async () => {
    const pages = mapPages(4);
    const range = { start: pages.address, end: pages.address + 4n * PAGE };
    const reports: string[] = [];
    try {
      for (const monitorFirst of [true, false]) {
        const monitor = monitorFirst ? monitorAccess([range], (a) => reports.push(`${a.operation} ${(a.page - pages.address) / PAGE}`)) : null;
        const tracker = trackWrites(range, { mechanism: 'pagemap-scan' });
        const second = monitor ?? monitorAccess([range], (a) => reports.push(`${a.operation} ${(a.page - pages.address) / PAGE}`));
        expect(safeMemcpy(pages.address + 2n * PAGE, Buffer.alloc(8, 1), 8).ok).toBe(true);
        safeRead(pages.address, 8);
        await turn();
        expect(tracker.written()).toEqual([{ start: pages.address + 2n * PAGE, end: pages.address + 3n * PAGE }]);
        second.stop();
        tracker.stop();
      }
    } finally {
      pages.unmap();
    }
    expect(reports).toEqual(['write 2', 'read 0', 'write 2', 'read 0']);
  });

  test('bad arguments are refused before any page is touched', () => {
    const pages = mapPages(2);
    const start = pages.address;
    const cases: Array<[unknown, unknown, string]> = [
      [undefined, () => undefined, 'ERR_INVALID_ARG_TYPE'],
      [{ start, end: start + PAGE }, () => undefined, 'ERR_INVALID_ARG_TYPE'],
      [[], () => undefined, 'ERR_INVALID_ARG_VALUE'],
      [[null], () => undefined, 'ERR_INVALID_ARG_TYPE'],
      [[{ start: Number(start), end: start + PAGE }], () => undefined, 'ERR_INVALID_ARG_TYPE'],
      [[{ start, end: start + PAGE }], 'not a function', 'ERR_INVALID_ARG_TYPE'],
      [[{ start: start + 1n, end: start + PAGE }], () => undefined, 'ERR_OUT_OF_RANGE'],
      [[{ start, end: start + PAGE - 1n }], () => undefined, 'ERR_OUT_OF_RANGE'],
      [[{ start, end: start }], () => undefined, 'ERR_OUT_OF_RANGE'],
      [[{ start: -PAGE, end: start }], () => undefined, 'ERR_OUT_OF_RANGE'],
      [[{ start, end: BigInt(binding.machine.userAddressEnd) + PAGE }], () => undefined, 'ERR_OUT_OF_RANGE'],
      [[{ start, end: start + 2n * PAGE }, { start: start + PAGE, end: start + 2n * PAGE }], () => undefined, 'ERR_INVALID_ARG_VALUE'],
    ];
    try {
      for (const [ranges, onAccess, code] of cases) {
        expect(() => monitorAccess(ranges as never, onAccess as never)).toThrow(expect.objectContaining({ code }));
      }
      pages.unmap(pageSize, pageSize);
      expect(() => monitorAccess([{ start, end: start + 2n * PAGE }], () => undefined))
        .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('ranges[0]') }));
      expect(probe(start)).toBe('readable');  // a refused monitor armed nothing
    } finally {
      pages.unmap();
    }
  });
});
