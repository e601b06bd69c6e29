// Property tests: on random layouts of mapped, protected and unmapped pages, with random offsets and
// lengths, both strategies agree with each other and with the model of the layout.
import fc from 'fast-check';

import { pageSize, safeMemcpy, safeRead, type CopyResult, type Strategy } from '../lib';
import { Layout, expectedPattern, writablePrefix, type PageKind } from './helpers/layout';

const P = pageSize;
const SENTINEL = 0xee;
const STRATEGIES: Strategy[] = ['signal', 'syscall'];

const kinds = fc.array(fc.constantFrom<PageKind>('rw', 'r', 'none', 'unmapped'), { minLength: 2, maxLength: 6 });

/** An offset and length inside a layout of `pages` pages, often close to page boundaries. */
function span(pages: number): fc.Arbitrary<{ offset: number; length: number }> {
  const size = pages * P;
  const nearBoundary = fc.tuple(fc.integer({ min: 1, max: pages - 1 }), fc.integer({ min: -70, max: 70 }))
    .map(([page, delta]) => Math.min(size - 1, Math.max(0, page * P + delta)));
  return fc.oneof(nearBoundary, fc.integer({ min: 0, max: size - 1 })).chain((offset) =>
    fc.oneof(fc.integer({ min: 0, max: Math.min(200, size - offset) }), fc.integer({ min: 0, max: size - offset }))
      .map((length) => ({ offset, length })));
}

function summary(result: CopyResult): unknown {
  return { ok: result.ok, bytesCopied: result.bytesCopied, address: result.fault?.address ?? null, access: result.fault?.access ?? null };
}

describe('property: both strategies agree with the model of the layout', () => {
  test('reads into a buffer', () => {
    fc.assert(
      fc.property(kinds.chain((k) => fc.tuple(fc.constant(k), span(k.length))), ([pageKinds, { offset, length }]) => {
        const layout = new Layout(pageKinds);
        try {
          const prefix = layout.readablePrefix(offset, length);
          const outcomes = STRATEGIES.map((strategy) => {
            const dst = Buffer.alloc(length, SENTINEL);
            const result = safeMemcpy(dst, layout.address + BigInt(offset), length, { strategy });
            return { result, dst };
          });
          for (const [i, { result, dst }] of outcomes.entries()) {
            expect(result.bytesCopied).toBe(prefix);
            expect(result.ok).toBe(prefix === length);
            expect(dst.subarray(0, prefix).equals(expectedPattern(offset, prefix))).toBe(true);
            expect(dst.subarray(prefix).every((b) => b === SENTINEL)).toBe(true);
            if (!result.ok) {
              expect(result.fault?.address).toBe(layout.address + BigInt(offset + prefix));
              expect(result.fault?.access).toBe('read');
              expect(result.fault?.code).toBe(STRATEGIES[i] === 'syscall' ? 'EFAULT' : layout.faultCode(offset + prefix));
            }
          }
          expect(summary(outcomes[0].result)).toEqual(summary(outcomes[1].result));
        } finally {
          layout.release();
        }
      }),
      { numRuns: 250 },
    );
  });

  test('writes from a buffer', () => {
    fc.assert(
      fc.property(kinds.chain((k) => fc.tuple(fc.constant(k), span(k.length))), ([pageKinds, { offset, length }]) => {
        const prefix = writablePrefix(pageKinds, offset, length);
        const results = STRATEGIES.map((strategy) => {
          const layout = new Layout(pageKinds);
          try {
            const src = Buffer.alloc(length, 0x3c);
            const result = safeMemcpy(layout.address + BigInt(offset), src, length, { strategy });
            // What is readable now: the written prefix, then the pattern untouched.
            const readable = layout.readablePrefix(offset, length);
            const now = safeRead(layout.address + BigInt(offset), readable).data;
            const written = Math.min(result.bytesCopied, readable);
            expect(now.subarray(0, written).every((b) => b === 0x3c)).toBe(true);
            expect(now.subarray(written).equals(expectedPattern(offset + written, readable - written))).toBe(true);
            return result;
          } finally {
            layout.release();
          }
        });
        for (const result of results) {
          expect(result.bytesCopied).toBe(prefix);
          expect(result.ok).toBe(prefix === length);
          if (!result.ok) expect(result.fault?.access).toBe('write');
        }
      }),
      { numRuns: 150 },
    );
  });

  test('raw to raw: the first failing side ends the copy, a read wins a tie', () => {
    const pair = fc.tuple(kinds, kinds).chain(([a, b]) => {
      const pages = Math.min(a.length, b.length);
      return fc.tuple(fc.constant(a), fc.constant(b), span(pages), fc.integer({ min: -40, max: 40 }));
    });
    fc.assert(
      fc.property(pair, ([srcKinds, dstKinds, { offset, length }, shift]) => {
        const dstOffset = Math.min(Math.max(0, offset + shift), dstKinds.length * P - length);
        const [src, ...dsts] = Layout.many(srcKinds, ...STRATEGIES.map(() => dstKinds));
        try {
          const readable = src.readablePrefix(offset, length);
          const writable = dsts[0].writablePrefix(dstOffset, length);
          const prefix = Math.min(readable, writable);
          const results = STRATEGIES.map((strategy, i) =>
            safeMemcpy(dsts[i].address + BigInt(dstOffset), src.address + BigInt(offset), length, { strategy }));
          for (const [i, result] of results.entries()) {
            expect(result.bytesCopied).toBe(prefix);
            expect(result.ok).toBe(prefix === length);
            if (!result.ok) {
              const readFault = readable <= writable;
              expect(result.fault?.access).toBe(readFault ? 'read' : 'write');
              expect(result.fault?.address).toBe((readFault ? src.address + BigInt(offset) : dsts[i].address + BigInt(dstOffset)) + BigInt(prefix));
            }
          }
        } finally {
          src.release();
          dsts.forEach((d) => d.release());
        }
      }),
      { numRuns: 150 },
    );
  });
  test('overlapping raw ranges: memmove of the exact prefix, across several of the syscall strategy\'s 64 KiB windows', () => {
    // Short layouts with many bad pages, long ones (up to 192 KiB) with a few; shifts small and large.
    const page = (rwWeight: number) => fc.oneof({ arbitrary: fc.constant<PageKind>('rw'), weight: rwWeight }, fc.constantFrom<PageKind>('r', 'none', 'unmapped'));
    const longKinds = fc.oneof(fc.array(page(3), { minLength: 2, maxLength: 6 }), fc.array(page(80), { minLength: 17, maxLength: 48 }));
    const shift = fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer({ min: -100 * 1024, max: 100 * 1024 })).filter((d) => d !== 0);
    const scenario = longKinds.chain((k) => fc.tuple(fc.constant(k), fc.integer({ min: 0, max: k.length * P - 1 }), shift))
      .filter(([k, from, d]) => from + d >= 0 && from + d < k.length * P)
      .chain(([k, from, d]) => {
        const room = k.length * P - Math.max(from, from + d);
        return fc.tuple(fc.constant(k), fc.constant(from), fc.constant(from + d), fc.oneof(fc.integer({ min: 1, max: room }), fc.integer({ min: Math.max(1, room - 3 * P), max: room })));
      });
    fc.assert(
      fc.property(scenario, ([pageKinds, from, to, length]) => {
        const layouts = Layout.many(...STRATEGIES.map(() => pageKinds));
        try {
          const readable = layouts[0].readablePrefix(from, length);
          const writable = layouts[0].writablePrefix(to, length);
          const prefix = Math.min(readable, writable);
          // What the layout holds afterwards: memmove of the prefix; on a fault, the destination bytes that
          // overlap the source are unspecified.
          const model = expectedPattern(0, pageKinds.length * P);
          model.copyWithin(to, from, from + prefix);
          const unspecified = (i: number) => prefix < length && i >= to && i < to + prefix && i >= from && i < from + length;
          for (const [i, strategy] of STRATEGIES.entries()) {
            const layout = layouts[i];
            const result = safeMemcpy(layout.address + BigInt(to), layout.address + BigInt(from), length, { strategy });
            expect([strategy, result.bytesCopied, result.ok]).toEqual([strategy, prefix, prefix === length]);
            if (!result.ok) {
              const readFault = readable <= writable;
              expect(result.fault?.access).toBe(readFault ? 'read' : 'write');
              expect(result.fault?.address).toBe(layout.address + BigInt((readFault ? from : to) + prefix));
            }
            pageKinds.forEach((kind, page) => {
              if (kind !== 'rw' && kind !== 'r') return;
              const now = safeRead(layout.address + BigInt(page * P), P).data;
              for (let j = 0; j < P; j++) {
                const at = page * P + j;
                if (!unspecified(at) && now[j] !== model[at]) throw new Error(`${strategy}: byte ${at} is ${now[j]}, expected ${model[at]}`);
              }
            });
          }
        } finally {
          layouts.forEach((l) => l.release());
        }
      }),
      { numRuns: 250 },
    );
  });
});
