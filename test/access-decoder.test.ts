// The A64 decoder that tells a write from a read where an aarch64 signal frame has no esr_context record
// (native/memory/a64_access_decoder.cc): qemu-user writes none, so there the handler chain classifies every fault
// that is not the guard's with it. Through the test hook _decodeAccess; the decoder is plain arithmetic, built on
// every architecture, so this table runs natively too.
// The words come from `aarch64-linux-gnu-as -march=armv8.7-a+ls64+memtag+sve` and objdump, not from typing;
// the last test assembles the table again wherever an aarch64 assembler is at hand, so a wrong word cannot hide.
import { spawnSync } from 'node:child_process';

import { binding } from '../lib/common/native';
import { testNeeding } from './helpers/capabilities';

type Access = 'read' | 'write' | 'unknown';

const INSTRUCTIONS: ReadonlyArray<readonly [string, number, Access]> = [
  // pairs (STGP stores a pair and tags)
  ['stp x0, x1, [x2]', 0xa9000440, 'write'],
  ['stp q0, q1, [x2, #-32]!', 0xadbf0440, 'write'],
  ['stnp x0, x1, [x2]', 0xa8000440, 'write'],
  ['stgp x0, x1, [x2]', 0x69000440, 'write'],
  ['ldp x0, x1, [x2]', 0xa9400440, 'read'],
  ['ldp q0, q1, [x2], #32', 0xacc10440, 'read'],
  ['ldnp d0, d1, [x2]', 0x6c400440, 'read'],
  ['ldpsw x0, x1, [x2]', 0x69400440, 'read'],
  // exclusives, pairs included, and ordered accesses: L (bit 22) says load
  ['ldxr x0, [x1]', 0xc85f7c20, 'read'],
  ['ldaxr w0, [x1]', 0x885ffc20, 'read'],
  ['ldxrb w0, [x1]', 0x085f7c20, 'read'],
  ['stxr w2, x0, [x1]', 0xc8027c20, 'write'],
  ['stlxr w2, w0, [x1]', 0x8802fc20, 'write'],
  ['stxrb w2, w0, [x1]', 0x08027c20, 'write'],
  ['ldxp x0, x1, [x2]', 0xc87f0440, 'read'],
  ['ldaxp w0, w1, [x2]', 0x887f8440, 'read'],
  ['stxp w3, x0, x1, [x2]', 0xc8230440, 'write'],
  ['stlxp w3, w0, w1, [x2]', 0x88238440, 'write'],
  ['ldar x0, [x1]', 0xc8dffc20, 'read'],
  ['ldarb w0, [x1]', 0x08dffc20, 'read'],
  ['stlr x0, [x1]', 0xc89ffc20, 'write'],
  ['stlrh w0, [x1]', 0x489ffc20, 'write'],
  ['ldlar x0, [x1]', 0xc8df7c20, 'read'],
  ['stllr x0, [x1]', 0xc89f7c20, 'write'],
  // compare-and-swap, pair too: read and write whatever the acquire bit says
  ['cas x0, x1, [x2]', 0xc8a07c41, 'write'],
  ['casa w0, w1, [x2]', 0x88e07c41, 'write'],
  ['casl x0, x1, [x2]', 0xc8a0fc41, 'write'],
  ['casal x0, x1, [x2]', 0xc8e0fc41, 'write'],
  ['casb w0, w1, [x2]', 0x08a07c41, 'write'],
  ['casalh w0, w1, [x2]', 0x48e0fc41, 'write'],
  ['casp x0, x1, x2, x3, [x4]', 0x48207c82, 'write'],
  ['caspa x0, x1, x2, x3, [x4]', 0x48607c82, 'write'],
  ['caspl w0, w1, w2, w3, [x4]', 0x0820fc82, 'write'],
  ['caspal x0, x1, x2, x3, [x4]', 0x4860fc82, 'write'],
  // atomic memory operations read and write; LDAPR only reads
  ['ldadd x0, x1, [x2]', 0xf8200041, 'write'],
  ['ldaddal w0, w1, [x2]', 0xb8e00041, 'write'],
  ['stadd x0, [x1]', 0xf820003f, 'write'],
  ['swp x0, x1, [x2]', 0xf8208041, 'write'],
  ['ldsetb w0, w1, [x2]', 0x38203041, 'write'],
  ['ldumaxl x0, x1, [x2]', 0xf8606041, 'write'],
  ['ldapr x0, [x1]', 0xf8bfc020, 'read'],
  ['ldaprb w0, [x1]', 0x38bfc020, 'read'],
  ['ldaprh w0, [x1]', 0x78bfc020, 'read'],
  // RCpc unscaled (LDAPUR/STLUR)
  ['stlur x0, [x1, #8]', 0xd9008020, 'write'],
  ['stlurb w0, [x1, #-1]', 0x191ff020, 'write'],
  ['ldapur x0, [x1, #8]', 0xd9408020, 'read'],
  ['ldapursb x0, [x1]', 0x19800020, 'read'],
  // SIMD structures
  ['st1 {v0.16b}, [x0]', 0x4c007000, 'write'],
  ['st1 {v0.4s, v1.4s}, [x0], #32', 0x4c9fa800, 'write'],
  ['st1 {v0.b}[3], [x0]', 0x0d000c00, 'write'],
  ['st4 {v0.8h, v1.8h, v2.8h, v3.8h}, [x0]', 0x4c000400, 'write'],
  ['ld1 {v0.16b}, [x0]', 0x4c407000, 'read'],
  ['ld1r {v0.4s}, [x0]', 0x4d40c800, 'read'],
  ['ld4 {v0.s, v1.s, v2.s, v3.s}[1], [x0], x2', 0x0de2b000, 'read'],
  // DC ZVA stores zeros; pointer-authenticated loads; 64-byte single-copy atomic loads and stores
  ['dc zva, x0', 0xd50b7420, 'write'],
  ['dc zva, x17', 0xd50b7431, 'write'],
  ['ldraa x0, [x1]', 0xf8200420, 'read'],
  ['ldrab x0, [x1, #8]!', 0xf8a01c20, 'read'],
  ['ld64b x0, [x1]', 0xf83fd020, 'read'],
  ['st64b x0, [x1]', 0xf83f9020, 'write'],
  ['st64bv x2, x0, [x1]', 0xf822b020, 'write'],
  ['st64bv0 x2, x0, [x1]', 0xf822a020, 'write'],
  // single registers: immediate, register offset, literal, unprivileged, SIMD&FP
  ['ldr x0, [x1]', 0xf9400020, 'read'],
  ['ldr w0, [x1, #4]!', 0xb8404c20, 'read'],
  ['ldr x0, [x1, x2, lsl #3]', 0xf8627820, 'read'],
  ['ldr x0, .', 0x58000000, 'read'],
  ['ldrsw x0, .', 0x98000000, 'read'],
  ['ldr q0, .', 0x9c000000, 'read'],
  ['prfm pldl1keep, [x0]', 0xf9800000, 'read'],
  ['prfm pldl1keep, .', 0xd8000000, 'read'],
  ['ldrb w0, [x1], #1', 0x38401420, 'read'],
  ['ldrsh x0, [x1]', 0x79800020, 'read'],
  ['ldur x0, [x1, #-8]', 0xf85f8020, 'read'],
  ['ldtr x0, [x1]', 0xf8400820, 'read'],
  ['ldr q0, [x1]', 0x3dc00020, 'read'],
  ['ldr d0, [x1, x2]', 0xfc626820, 'read'],
  ['str x0, [x1]', 0xf9000020, 'write'],
  ['strb w0, [x1, #1]!', 0x38001c20, 'write'],
  ['str w0, [x1, x2]', 0xb8226820, 'write'],
  ['stur h0, [x1, #-2]', 0x7c1fe020, 'write'],
  ['sttr x0, [x1]', 0xf8000820, 'write'],
  ['str q0, [x1]', 0x3d800020, 'write'],
  // what no rule covers: memory-tag accesses, SVE, other instructions, other cache maintenance
  ['stg x0, [x1]', 0xd9200820, 'unknown'],
  ['ldg x0, [x1]', 0xd9600020, 'unknown'],
  ['add x0, x1, x2', 0x8b020020, 'unknown'],
  ['ld1b {z0.b}, p0/z, [x0]', 0xa400a000, 'unknown'],
  ['st1b {z0.b}, p0, [x0]', 0xe400e000, 'unknown'],
  ['dc civac, x0', 0xd50b7e20, 'unknown'],
];

const CASES = INSTRUCTIONS.map(([assembly, word, access]) => ({ assembly, hex: word.toString(16).padStart(8, '0'), word, access }));

test.each(CASES)('decodes $assembly ($hex) as $access', ({ word, access }: (typeof CASES)[number]) => {
  expect(binding._decodeAccess(word)).toBe(access);
});

const MARCH = '-march=armv8.7-a+ls64+memtag+sve';

/** An assembler for A64 that knows every extension in the table: the cross one, or the machine's own. */
const assembler: string | null = ['aarch64-linux-gnu-as', 'as'].find((program) => {
  const run = spawnSync(program, [MARCH, '-al', '-o', '/dev/null'], { input: 'nop\n', encoding: 'utf8' });
  return run.status === 0 && /\b1F2003D5\b/.test(run.stdout);
}) ?? null;

testNeeding(assembler === null ? `no assembler for A64 with ${MARCH} here (aarch64-linux-gnu-as, as)` : null)(
  'every word in the table is what the assembler makes of its instruction',
  () => {
    const run = spawnSync(assembler!, [MARCH, '-al', '-o', '/dev/null'], {
      input: INSTRUCTIONS.map(([assembly]) => assembly).join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    // Listing lines: "  <line> <offset> <bytes in memory order>  <source>"; A64 is little-endian.
    const words = [...run.stdout.matchAll(/^\s*\d+ [0-9a-f]{4} ([0-9A-F]{8})\s/gm)].map(([, bytes]) => Buffer.from(bytes, 'hex').readUInt32LE(0));
    expect(words.map((word) => word.toString(16))).toEqual(INSTRUCTIONS.map(([, word]) => word.toString(16)));
  },
);
