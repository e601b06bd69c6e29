// fuzz(): a fixed seed finds no mismatch, the generator is deterministic and follows its documented mix, progress
// and abort work, threads merge; the maps model agrees with real copies on crafted layouts and catches a copy
// that lies; a disagreement counts only when maps reads that bracket its copies confirm it, also while other
// threads map and unmap.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { fuzz, mapFile, mapPages, pageSize, readMaps, safeRead, type CopyResult, type Strategy } from '../lib';
import { CASE_MIX, CaseGenerator, type FuzzCaseKind, type LayoutEntry, VSYSCALL_PAGE } from '../lib/probe/fuzz-generator';
import { MapsModel } from '../lib/probe/fuzz-model';
import { disagreement, judge, runShare } from '../lib/probe/fuzz-runner';
import { PACKAGE_ROOT, runChild } from './helpers/child';
import { Layout } from './helpers/layout';

const P = pageSize;
const USER_END = 1n << 47n;
const STRATEGIES: Strategy[] = ['signal', 'syscall'];

const LAYOUT: LayoutEntry[] = [
  { start: 0x400000n, end: 0x600000n },
  { start: 0x7f00_0000_0000n, end: 0x7f00_0001_0000n },
  { start: 0x7ffd_0000_0000n, end: 0x7ffd_0002_1000n },
];

function draw(seed: number, stream: number, count: number, layout: readonly LayoutEntry[] = LAYOUT, lengths: [number, number] = [0, 4 * P]): Array<{ kind: FuzzCaseKind; address: bigint; length: number }> {
  const generator = new CaseGenerator({ seed, stream, layout, pageSize: P, lengths });
  return Array.from({ length: count }, () => generator.next());
}

describe('the generator', () => {
  test('the same seed, stream and layout give the same cases; another seed or stream other ones', () => {
    expect(draw(1234, 0, 2000)).toEqual(draw(1234, 0, 2000));
    expect(draw(1234, 1, 2000)).toEqual(draw(1234, 1, 2000));
    expect(draw(1234, 1, 50)).not.toEqual(draw(1234, 0, 50));
    expect(draw(1235, 0, 50)).not.toEqual(draw(1234, 0, 50));
  });

  test('follows the documented mix, and each kind lands where it says', () => {
    const cases = draw(7, 0, 40_000);
    const counts = new Map<FuzzCaseKind, number>();
    for (const c of cases) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
    for (const [kind, weight] of CASE_MIX) expect([kind, Math.abs((counts.get(kind) ?? 0) / cases.length - weight / 100) < 0.01]).toEqual([kind, true]);
    const near = (address: bigint): boolean => LAYOUT.some((m) => [m.start, m.end].some((edge) => address - edge >= -BigInt(P) - 1n && address - edge <= BigInt(P) + 1n));
    const inside = (address: bigint): boolean => LAYOUT.some((m) => address >= m.start && address < m.end);
    for (const c of cases) {
      const where: Record<FuzzCaseKind, boolean> = {
        uniform: c.address < USER_END,
        edge: near(c.address),
        'page-boundary': LAYOUT.some((m) => c.address >= m.start - 64n && c.address <= m.end) && (c.address % BigInt(P) === 0n || c.address % BigInt(P) >= BigInt(P - 63)),
        'null-page': c.address < BigInt(P),
        'kernel-half': c.address >= (1n << 64n) - USER_END,
        noncanonical: c.address >= USER_END && c.address < (1n << 64n) - USER_END,
        vsyscall: c.address >= VSYSCALL_PAGE && c.address < VSYSCALL_PAGE + BigInt(P),
        inside: inside(c.address),
      };
      if (!where[c.kind]) throw new Error(`${c.kind} case at 0x${c.address.toString(16)}`);
      expect(c.length >= 0 && c.length <= 4 * P && c.address + BigInt(c.length) <= 1n << 64n).toBe(true);
    }
    // Lengths from 0 to several pages, a good share crossing a page boundary.
    expect(cases.some((c) => c.length === 0)).toBe(true);
    expect(cases.some((c) => c.length > 3 * P)).toBe(true);
    const crossing = cases.filter((c) => c.address % BigInt(P) + BigInt(c.length) > BigInt(P)).length;
    expect(crossing / cases.length).toBeGreaterThan(0.2);
  });

  test('lengths stay within [min, max]', () => {
    for (const lengths of [[0, 0], [5, 5], [100, 200], [0, 3]] as Array<[number, number]>) {
      expect(draw(3, 0, 500, LAYOUT, lengths).every((c) => c.length >= lengths[0] && c.length <= lengths[1] || c.address + BigInt(c.length) === 1n << 64n)).toBe(true);
    }
  });
});

describe('the maps model', () => {
  test('agrees with real copies of both strategies on a crafted layout and a truncated file', () => {
    const layout = new Layout(['rw', 'none', 'r', 'unmapped', 'rw']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-model-'));
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, Buffer.alloc(4 * P, 1));
    const mapping = mapFile(file, 4 * P, { shared: true });
    fs.truncateSync(file, P + 1);
    try {
      const model = new MapsModel(P);
      const starts = [layout.address, layout.address + BigInt(P) - 3n, layout.address + BigInt(2 * P + 5), layout.address + BigInt(4 * P - 1), mapping.address + BigInt(P) + 7n, mapping.address];
      for (const strategy of STRATEGIES) {
        for (const start of starts) {
          for (const length of [0, 1, 8, P, 3 * P]) {
            const result = safeRead(start, length, { strategy });
            const expected = model.expect(start, length, strategy);
            if (result.fault !== null) model.refine(result.fault.address);
            expect([strategy, start, length, disagreement(result, start, length, strategy, model.expect(start, length, strategy), model)]).toEqual([strategy, start, length, null]);
            if (expected.min === expected.max && model.expect(start, length, strategy).max === expected.max) expect(result.bytesCopied).toBe(expected.max);
          }
        }
      }
      // Past the end of the file, the maps alone say readable; the file's size (looked at on a disagreement) does not.
      const pastEnd = mapping.address + 2n * BigInt(P);
      const fresh = new MapsModel(P);
      expect(fresh.verdict(pastEnd, 'signal')).toBe('readable');
      fresh.refine(pastEnd);
      expect(fresh.verdict(pastEnd, 'signal')).toBe('past-eof');
    } finally {
      mapping.unmap();
      layout.release();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('catches a copy that lies', () => {
    const layout = new Layout(['rw', 'none']);
    try {
      const model = new MapsModel(P);
      const start = layout.address + BigInt(P) - 16n;
      const check = (result: CopyResult, strategy: Strategy = 'signal'): string | null => disagreement(result, start, 64, strategy, model.expect(start, 64, strategy), model);
      const fault = (code: 'SEGV_ACCERR' | 'SEGV_MAPERR' | 'EFAULT', bytesCopied = 16, address = layout.address + BigInt(P)): CopyResult =>
        ({ ok: false, bytesCopied, fault: { code, signal: code === 'EFAULT' ? null : 'SIGSEGV', address, access: 'read' } }) as CopyResult;
      expect(check(fault('SEGV_ACCERR'))).toBeNull();
      expect(check(fault('EFAULT'), 'syscall')).toBeNull();
      expect(check({ ok: true, bytesCopied: 64, fault: null } as CopyResult)).toMatch(/copied 64 bytes where the maps say 16/);
      expect(check(fault('SEGV_ACCERR', 12, start + 12n))).toMatch(/copied 12 bytes/);
      expect(check(fault('SEGV_MAPERR'))).toMatch(/SEGV_MAPERR where the maps say protected/);
      expect(check(fault('SEGV_ACCERR', 16, start))).toMatch(/not address \+ bytesCopied/);
      expect(check(fault('SEGV_ACCERR'), 'syscall')).toMatch(/SEGV_ACCERR where the maps say protected/);
    } finally {
      layout.release();
    }
  });
});

describe('judging a disagreement from maps reads that bracket the copy', () => {
  const lies = (length: number): CopyResult => ({ ok: true, bytesCopied: length, fault: null }) as CopyResult;

  test('a copy that keeps disagreeing with pages nobody changes is a mismatch; one that agrees is explained', () => {
    const layout = new Layout(['rw', 'none']);
    try {
      const [before, after] = [new MapsModel(P), new MapsModel(P)];
      const start = layout.address + BigInt(P) - 16n;
      let copies = 0;
      const judgement = judge(start, 64, 'signal', () => (copies++, lies(64)), before, after);
      expect(judgement).toMatchObject({ kind: 'mismatch', reason: 'copied 64 bytes where the maps say 16', expected: { min: 16, max: 16, verdict: 'protected' } });
      expect(copies).toBe(3);  // confirmed three times in a row before it counts
      expect(judge(start, 64, 'signal', () => safeRead(start, 64, { strategy: 'signal' }), before, after)).toEqual({ kind: 'explained' });
    } finally {
      layout.release();
    }
  });

  test('pages that change around every copy give no verdict: unstable, not a mismatch', () => {
    const pages = mapPages(2);
    try {
      const [before, after] = [new MapsModel(P), new MapsModel(P)];
      const start = pages.address + BigInt(P) - 16n;
      // Each copy flips the second page between rw and none, so no two reads around a copy agree; the copy itself
      // lies, which would make every stable window disagree.
      let protection: 'rw' | 'none' = 'rw';
      const copy = (): CopyResult => {
        protection = protection === 'rw' ? 'none' : 'rw';
        pages.protect(P, P, protection);
        return lies(64);
      };
      expect(judge(start, 64, 'signal', copy, before, after)).toEqual({ kind: 'unstable' });
    } finally {
      pages.unmap();
    }
  });

  test('pages another thread keeps mapping, protecting and unmapping: no mismatch', () => {
    // The copy can see another address space than a maps read taken before or after it; before, such cases were
    // counted as mismatches ("copied 1901 bytes where the maps say 0"), a few in 50,000 cases here. The churner's
    // hole is the whole layout, so the generator's edge, page-boundary and inside cases land on it. In a child: a
    // plain node process has a seventh of a test runner's mappings, so its maps reads (and the run) are that much
    // shorter.
    const child = runChild(`
      const { Worker } = require('node:worker_threads');
      const { runShare } = require(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'probe', 'fuzz-runner'))});
      const stop = new Int32Array(new SharedArrayBuffer(4));
      const churner = new Worker(\`
        const { parentPort, workerData: stop } = require('node:worker_threads');
        const { mapPages, pageSize } = require(${JSON.stringify(PACKAGE_ROOT)});
        const first = mapPages(4);
        parentPort.postMessage(first.address);
        first.unmap();
        while (Atomics.load(stop, 0) === 0) {
          const mapping = mapPages(4);
          mapping.protect(pageSize, pageSize, 'none');
          mapping.unmap(2 * pageSize, pageSize);
          mapping.unmap();
        }\`, { eval: true, workerData: stop });
      churner.once('message', async (address) => {
        const P = memprobe.pageSize;
        const layout = [{ start: address, end: address + BigInt(4 * P) }];
        const result = await runShare({ seed: 13, stream: 0, iterations: 50000, lengths: [0, 2 * P], layout, pageSize: P }, { progress: () => {}, aborted: () => false });
        Atomics.store(stop, 0, 1);
        const { mismatchCount, rechecked, unstable } = result;
        console.log(JSON.stringify({ mismatchCount, reasons: result.mismatches.map((m) => m.reason), rechecked, unstable }));
      });`, { timeoutMs: 300_000 });
    expect([child.signal, child.status, child.stderr]).toEqual([null, 0, '']);
    const result = JSON.parse(child.stdout) as { mismatchCount: number; reasons: string[]; rechecked: number; unstable: number };
    expect(result).toMatchObject({ mismatchCount: 0, reasons: [] });
    expect(result.rechecked + result.unstable).toBeGreaterThan(0);  // the churn was met
  }, 300_000);
});

describe('fuzz()', () => {
  test('a fixed seed: no mismatch, every case counted, the report complete', async () => {
    const progress: Array<[number, number]> = [];
    const report = await fuzz({ iterations: 30_000, seed: 20261128, onProgress: (done, total) => progress.push([done, total]) });
    expect(report).toMatchObject({ iterations: 30_000, requested: 30_000, seed: 20261128, threads: 1, aborted: false, mismatchCount: 0, mismatches: [] });
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(30_000);
    for (const outcome of ['readable', 'SEGV_MAPERR', 'SEGV_ACCERR', 'NONCANONICAL', 'EFAULT'] as const) expect([outcome, report.outcomes[outcome] > 0]).toEqual([outcome, true]);
    expect(report.durationMs).toBeGreaterThan(0);
    expect(report.probesPerSecond).toBe(Math.round(30_000 / (report.durationMs / 1000)));
    expect(report.digests).toHaveLength(1);
    // Progress: increasing, ending with (total, total).
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toEqual([30_000, 30_000]);
    expect(progress.every(([done], i) => i === 0 || done >= progress[i - 1][0])).toBe(true);
  });

  test('the same seed on the same layout runs the same cases', async () => {
    const layout = readMaps().map(({ start, end }) => ({ start, end }));
    const share = { seed: 99, stream: 0, iterations: 3000, lengths: [0, 2 * P] as [number, number], layout, pageSize: P };
    const hooks = { progress: () => {}, aborted: () => false };
    const [a, b, c] = [await runShare(share, hooks), await runShare(share, hooks), await runShare({ ...share, seed: 100 }, hooks)];
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
    expect(a.mismatchCount + b.mismatchCount + c.mismatchCount).toBe(0);
  });

  test('an AbortSignal stops it early with a partial report', async () => {
    const controller = new AbortController();
    const report = await fuzz({ iterations: 50_000_000, seed: 5, signal: controller.signal, onProgress: (done) => done > 0 && controller.abort() });
    expect(report.aborted).toBe(true);
    expect(report.iterations).toBeGreaterThan(0);
    expect(report.iterations).toBeLessThan(50_000_000);
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(report.iterations);
    const before = await fuzz({ iterations: 1000, seed: 5, signal: AbortSignal.abort() });
    expect(before).toMatchObject({ iterations: 0, aborted: true });
  });

  test('threads: each worker its own stream, the report merged; abort reaches the workers', async () => {
    const report = await fuzz({ iterations: 20_001, seed: 11, threads: 2 });
    expect(report).toMatchObject({ iterations: 20_001, threads: 2, aborted: false, mismatchCount: 0 });
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(20_001);
    expect(report.digests).toHaveLength(2);
    expect(report.digests[0]).not.toBe(report.digests[1]);
    const controller = new AbortController();
    const aborted = await fuzz({ iterations: 50_000_000, seed: 11, threads: 2, signal: controller.signal, onProgress: () => controller.abort() });
    expect(aborted.aborted).toBe(true);
    expect(aborted.iterations).toBeLessThan(50_000_000);
  });

  test('an onProgress that throws rejects the promise once with its error and stops the workers', () => {
    // In a child: before, the throw escaped a worker's message listener and ended the process. The run is far too
    // long to finish, so the child exits by itself only if the workers stopped; they have been joined (the thread
    // count is back to where it was) when the promise rejects.
    for (const threads of [2, 1]) {
      const child = runChild(`
        const fs = require('node:fs');
        const threadCount = () => fs.readdirSync('/proc/self/task').length;
        const before = threadCount();
        let calls = 0;
        const thrown = new Error('progress failed');
        memprobe.fuzz({ iterations: 50_000_000, seed: 3, threads: ${threads}, onProgress: () => { calls++; throw thrown; } }).then(
          () => console.log('resolved'),
          (error) => console.log(JSON.stringify({ same: error === thrown, calls, threadsBefore: before, threadsAfter: threadCount() })),
        );
        process.on('exit', (code) => console.log('exit', code, calls));`);
      expect([threads, child.signal, child.status, child.stderr]).toEqual([threads, null, 0, '']);
      const lines = child.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const settled = JSON.parse(lines[0]) as { same: boolean; calls: number; threadsBefore: number; threadsAfter: number };
      expect(settled).toEqual({ same: true, calls: 1, threadsBefore: settled.threadsBefore, threadsAfter: settled.threadsBefore });
      expect(lines[1]).toBe('exit 0 1');
    }
  });

  test('bad input', async () => {
    const cases: Array<[unknown, string]> = [
      [null, 'ERR_INVALID_ARG_TYPE'],
      [{ iterations: -1 }, 'ERR_OUT_OF_RANGE'],
      [{ iterations: '5' }, 'ERR_INVALID_ARG_TYPE'],
      [{ seed: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
      [{ seed: 1.5 }, 'ERR_OUT_OF_RANGE'],
      [{ seed: 'x' }, 'ERR_INVALID_ARG_TYPE'],
      [{ threads: 0 }, 'ERR_OUT_OF_RANGE'],
      [{ threads: 65 }, 'ERR_OUT_OF_RANGE'],
      [{ lengths: [5, 1] }, 'ERR_OUT_OF_RANGE'],
      [{ lengths: [0, -1] }, 'ERR_OUT_OF_RANGE'],
      [{ lengths: 'x' }, 'ERR_INVALID_ARG_TYPE'],
      [{ onProgress: 1 }, 'ERR_INVALID_ARG_TYPE'],
      [{ signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [options, code] of cases) await expect(fuzz(options as never)).rejects.toThrow(expect.objectContaining({ code }));
  });
});
