// The fuzzer's seeded case generator. Its mix is part of the package's contract (README, "The generator's mix"):
// change it only with a new major version, so a seed keeps naming the same cases. The same seed, stream and layout
// give the same sequence of (address, length) on any machine.

/** @internal A mapping the generator aims at: [start, end), as /proc/self/maps listed it when the run began. */
export interface LayoutEntry {
  start: bigint;
  end: bigint;
}

/**
 * Which part of the generator's mix a case came from (README, "The generator's mix"): uniform over the user half,
 * a mapping's edge, a page boundary inside a mapping, the NULL page, the kernel half, the non-canonical gap, the
 * vsyscall page, or inside a mapping.
 * @group Probing and fuzzing
 */
export type FuzzCaseKind = 'uniform' | 'edge' | 'page-boundary' | 'null-page' | 'kernel-half' | 'noncanonical' | 'vsyscall' | 'inside';

/** @internal Weights out of 100, in drawing order. */
export const CASE_MIX: ReadonlyArray<readonly [FuzzCaseKind, number]> = [
  ['uniform', 30],        // uniform over the user half [0, 2^47)
  ['edge', 25],           // a mapping's first or last byte's neighbourhood: edge + d, d in EDGE_OFFSETS
  ['page-boundary', 10],  // a page boundary inside a mapping, minus 0..63 bytes (so most copies cross it)
  ['null-page', 5],       // [0, page)
  ['kernel-half', 10],    // uniform over [2^64 - 2^47, 2^64)
  ['noncanonical', 10],   // uniform over [2^47, 2^64 - 2^47)
  ['vsyscall', 5],        // the vsyscall page, 0xffffffffff600000 + [0, page)
  ['inside', 5],          // uniform inside a mapping
];

// The mix's own bounds, x86-64's halves, on every machine: a seed names the same cases everywhere (the model,
// not the generator, knows what an address means on this machine: fuzz-model.ts).
const USER_END = 1n << 47n;
const KERNEL_START = (1n << 64n) - USER_END;
const ADDRESS_LIMIT = 1n << 64n;
/** @internal */
export const VSYSCALL_PAGE = 0xffff_ffff_ff60_0000n;

/** splitmix32: turns a seed (and a stream number) into well-spread state words. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** @internal xoshiro128**, seeded by splitmix32 from (seed, stream). Stream k is what worker k draws from. */
export class Random {
  private readonly s = new Uint32Array(4);

  constructor(seed: number, stream = 0) {
    let state = (seed ^ Math.imul(stream, 0x632be5ab)) >>> 0;
    for (let i = 0; i < 4; i++) {
      let word: number;
      [state, word] = splitmix32(state);
      this.s[i] = word;
    }
    if (this.s.every((word) => word === 0)) this.s[0] = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const s = this.s;
    const t = s[1] << 9;
    const x = Math.imul(s[1], 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return result;
  }

  /** Uniform over [0, n) for 0 < n <= 2^32 (rejection, no modulo bias). */
  below(n: number): number {
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    for (;;) {
      const value = this.next();
      if (value < limit) return value % n;
    }
  }

  /** Uniform over [0, n) for a bigint 0 < n <= 2^64. */
  belowBig(n: bigint): bigint {
    if (n <= 0x1_0000_0000n) return BigInt(this.below(Number(n)));
    const bits = n.toString(2).length;
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      const value = ((BigInt(this.next()) << 32n) | BigInt(this.next())) & mask;
      if (value < n) return value;
    }
  }
}

/** @internal */
export interface FuzzCase {
  kind: FuzzCaseKind;
  address: bigint;
  length: number;
}

/** @internal Drawing cases for one stream. */
export class CaseGenerator {
  private readonly random: Random;
  private readonly layout: readonly LayoutEntry[];
  private readonly page: number;
  private readonly lengths: readonly [number, number];
  private readonly edgeOffsets: readonly bigint[];

  constructor(options: { seed: number; stream: number; layout: readonly LayoutEntry[]; pageSize: number; lengths: readonly [number, number] }) {
    this.random = new Random(options.seed, options.stream);
    this.layout = options.layout;
    this.page = options.pageSize;
    this.lengths = options.lengths;
    const p = BigInt(options.pageSize);
    this.edgeOffsets = [-p - 1n, -p, -p + 1n, -1n, 0n, 1n, p - 1n, p, p + 1n];
  }

  next(): FuzzCase {
    const kind = this.kind();
    const address = this.address(kind);
    return { kind, address, length: this.length(address) };
  }

  private kind(): FuzzCaseKind {
    let draw = this.random.below(100);
    for (const [kind, weight] of CASE_MIX) {
      if (draw < weight) return kind;
      draw -= weight;
    }
    return 'uniform';
  }

  private mapping(): LayoutEntry | undefined {
    return this.layout.length === 0 ? undefined : this.layout[this.random.below(this.layout.length)];
  }

  private address(kind: FuzzCaseKind): bigint {
    const page = BigInt(this.page);
    switch (kind) {
      case 'uniform':
        return this.random.belowBig(USER_END);
      case 'null-page':
        return this.random.belowBig(page);
      case 'kernel-half':
        return KERNEL_START + this.random.belowBig(USER_END);
      case 'noncanonical':
        return USER_END + this.random.belowBig(KERNEL_START - USER_END);
      case 'vsyscall':
        return VSYSCALL_PAGE + this.random.belowBig(page);
      default:
        break;
    }
    const mapping = this.mapping();
    if (mapping === undefined) return this.random.belowBig(USER_END);
    const size = mapping.end - mapping.start;
    if (kind === 'edge') {
      const edge = this.random.below(2) === 0 ? mapping.start : mapping.end;
      const offset = this.edgeOffsets[this.random.below(this.edgeOffsets.length)];
      const address = edge + offset;
      return address < 0n ? 0n : address;
    }
    if (kind === 'page-boundary') {
      const boundary = mapping.start + this.random.belowBig(size / page + 1n) * page;
      const back = BigInt(this.random.below(64));
      return boundary >= back ? boundary - back : 0n;
    }
    return mapping.start + this.random.belowBig(size);  // inside
  }

  /** A quarter short (up to 16 bytes), half up to a page, a quarter up to the maximum; never past 2^64. */
  private length(address: bigint): number {
    const [min, max] = this.lengths;
    const band = this.random.below(4);
    const top = band === 0 ? Math.min(max, Math.max(min, 16)) : band === 3 ? max : Math.min(max, Math.max(min, this.page));
    const length = min + this.random.below(top - min + 1);
    const room = ADDRESS_LIMIT - address;
    return BigInt(length) > room ? Number(room) : length;
  }
}
