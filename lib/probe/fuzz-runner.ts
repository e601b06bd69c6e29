// One stream of fuzz cases, run on the thread that calls it (the main thread, or one worker of a threaded run):
// each case is copied through the real safeMemcpy/safeRead, alternating strategies, and checked against the maps.
import { CaseGenerator, type FuzzCaseKind, type LayoutEntry } from './fuzz-generator';
import { type Expectation, MapsModel, type MapsVerdict } from './fuzz-model';
import { safeMemcpy, safeRead } from '../memory/copy';
import type { CopyResult, FaultCode, Strategy } from '../common/types';

/**
 * How a fuzz case ended: 'readable' (every byte copied) or the fault's code.
 * @group Probing and fuzzing
 */
export type FuzzOutcome = 'readable' | FaultCode;
/** @internal */
export const OUTCOMES: readonly FuzzOutcome[] = ['readable', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_PKUERR', 'BUS_ADRERR', 'BUS_OBJERR', 'NONCANONICAL', 'EFAULT'];

/**
 * Which copy function a case went through.
 * @group Probing and fuzzing
 */
export type FuzzApi = 'safeMemcpy' | 'safeRead';

/**
 * A case where the copy and /proc/self/maps disagreed, after a fresh maps read and a second copy.
 * @group Probing and fuzzing
 */
export interface FuzzMismatch {
  /** the case's first byte */
  address: bigint;
  /** the case's length in bytes */
  length: number;
  /** the strategy the case was copied with */
  strategy: Strategy;
  /** the function the case was copied with */
  api: FuzzApi;
  /** where in the generator's mix the case came from */
  kind: FuzzCaseKind;
  /** what the copy said (the last of the bracketed copies that confirmed the disagreement) */
  copy: {
    /** bytes the copy copied */
    bytesCopied: number;
    /** its fault's code, null when every byte was copied */
    code: FaultCode | null;
    /** its fault's address, null when every byte was copied */
    faultAddress: bigint | null;
  };
  /** what /proc/self/maps said around that copy (equal reads before and after it): the bytes a copy must copy, and
   *  the verdict where that ends */
  maps: {
    /** the fewest bytes the copy had to copy */
    minBytes: number;
    /** the most bytes it could copy */
    maxBytes: number;
    /** the maps' verdict for the page where the readable prefix ends (null: all of it is readable) */
    verdict: MapsVerdict | null;
  };
  /** the disagreement, in words */
  reason: string;
}

/**
 * One case of a fuzz run, kept in {@link FuzzReport.samples} when `options.samples` asks for them: where it was
 * aimed and how its copy ended.
 * @group Probing and fuzzing
 */
export interface FuzzSample {
  /** the case's first byte */
  address: bigint;
  /** the case's length in bytes */
  length: number;
  /** where in the generator's mix the case came from */
  kind: FuzzCaseKind;
  /** how the copy ended: 'readable' (every byte copied) or the fault's code */
  outcome: FuzzOutcome;
}

/** @internal */
export interface ShareOptions {
  seed: number;
  stream: number;
  iterations: number;
  lengths: readonly [number, number];
  layout: readonly LayoutEntry[];
  pageSize: number;
  /** the first this many cases are kept as samples (default 0) */
  samples?: number;
}

/** @internal */
export interface ShareResult {
  iterations: number;
  samples: FuzzSample[];
  outcomes: Record<FuzzOutcome, number>;
  mismatches: FuzzMismatch[];
  mismatchCount: number;
  /** disagreements that a copy bracketed by two equal maps reads agreed with: the map had changed meanwhile */
  rechecked: number;
  /** disagreements never bracketed by two equal maps reads (nor confirmed): other threads keep changing that range */
  unstable: number;
  /** FNV-1a over the (address, length) sequence: equal for an equal seed, stream and layout */
  digest: string;
}

/** @internal */
export interface ShareHooks {
  progress(done: number): void;
  aborted(): boolean;
}

/** @internal */
export const MISMATCHES_KEPT = 100;
const SLICE_MS = 20;            // run this long before letting the event loop in
const MODEL_REFRESH_MS = 100;   // V8 maps and unmaps all the time: re-read the maps this often
const WINDOWS = 12;             // bracketed copies of one disagreement at most
const CONFIRMATIONS = 3;        // consecutive stable windows that must disagree alike before a mismatch counts

/** @internal Why a copy disagrees with the maps' expectation, or null when it agrees. */
export function disagreement(result: CopyResult, address: bigint, length: number, strategy: Strategy, expected: Expectation, model: MapsModel): string | null {
  const copied = result.bytesCopied;
  if (copied < expected.min || copied > expected.max) {
    const window = expected.min === expected.max ? `${expected.min}` : `${expected.min} to ${expected.max}`;
    return `copied ${copied} bytes where the maps say ${window}`;
  }
  const fault = result.fault;
  if (fault === null) return copied === length ? null : `ok with ${copied} of ${length} bytes`;
  if (fault.access !== 'read') return `a ${fault.access} fault on a read`;
  if (fault.address !== address + BigInt(copied)) return `fault address 0x${fault.address.toString(16)} is not address + bytesCopied`;
  const verdict = model.verdict(fault.address, strategy);
  return MapsModel.codeFits(fault.code, verdict, strategy) ? null : `${fault.code} where the maps say ${verdict}`;
}

/** How long, and at least how often, the pages' mappings must answer the same around a copy (see judge). */
const STABLE_MS = 0.5;
const STABLE_QUERIES = 16;

/**
 * Whether the kernel's mappings of the pages of [address, address + length) answer `view` throughout
 * STABLE_MS, queried at least STABLE_QUERIES times; true where the kernel cannot be asked (before Linux 6.11: the
 * maps reads alone then bracket the copy).
 */
function unchangedFor(model: MapsModel, address: bigint, length: number, view: string): boolean {
  const until = performance.now() + STABLE_MS;
  for (let asked = 0; asked < STABLE_QUERIES || performance.now() < until; asked++) {
    const now = model.queriedView(address, length);
    if (now === null) return true;
    if (now !== view) return false;
  }
  return true;
}

/** @internal How a disagreement ended after it was copied again between reads of the maps. */
export type Judgement =
  | { kind: 'explained' }
  | { kind: 'unstable' }
  | { kind: 'mismatch'; result: CopyResult; reason: string; expected: Expectation };

/**
 * @internal Judges a case whose copy disagreed with the maps, from windows that are known to bracket a copy: the maps
 * (with pagemap and file sizes) read before the copy and again after it, kept only when both reads say the same
 * about the case's pages. Other threads may map, protect and unmap that range at any moment, so a maps read on one
 * side only may describe another address space than the one the copy saw. The first stable window that agrees
 * explains the disagreement. A mismatch needs CONFIRMATIONS stable windows in a row with the same view and the same
 * copy result, all disagreeing: a change and its undoing between two reads (the kernel hands a freed hole back to
 * the next mmap) makes a window look stable, but not several in a row alike; so a window also needs the kernel's
 * mappings of those pages to answer the same, asked many times over a while just before and just after the copy
 * (unchangedFor). A case with neither within WINDOWS copies is unstable.
 */
export function judge(address: bigint, length: number, strategy: Strategy, copy: () => CopyResult, before: MapsModel, after: MapsModel): Judgement {
  let streak = 0;
  let streakKey = '';
  for (let window = 0; window < WINDOWS; window++) {
    before.refresh();
    before.refineRange(address, length);
    const seen = before.view(address, length);
    // The kernel's mappings of those pages, asked again and again for half a millisecond right before the copy and
    // right after it (PROCMAP_QUERY, a microsecond each). A maps read takes a millisecond, time enough for another
    // thread to unmap a hole and map it again, and a thread that maps and unmaps in a loop can fall into step with
    // the copy's own page faults (both wait for the same lock), so that a few reads around each copy all agree on
    // a state the copy never saw. Pages that nobody changes answer the same throughout; pages another thread keeps
    // changing cannot answer the same for that long, and then the window gives no verdict.
    const queried = before.mappingsView(address, length);
    const stableBefore = unchangedFor(before, address, length, queried);
    const result = copy();
    const stableAfter = unchangedFor(before, address, length, queried);
    after.refresh();
    after.refineRange(address, length);
    const bracketed = stableBefore && stableAfter;
    if (after.view(address, length) !== seen || !bracketed) {
      streak = 0;
      continue;
    }
    const expected = after.expect(address, length, strategy);
    const reason = disagreement(result, address, length, strategy, expected, after);
    if (reason === null) return { kind: 'explained' };
    const key = `${seen}|${result.bytesCopied}|${result.fault?.code ?? 'ok'}|${result.fault?.address ?? ''}`;
    streak = key === streakKey ? streak + 1 : 1;
    streakKey = key;
    if (streak === CONFIRMATIONS) return { kind: 'mismatch', result, reason, expected };
  }
  return { kind: 'unstable' };
}

function fnv1a(hash: number, value: bigint): number {
  let h = hash;
  for (let v = value, i = 0; i < 8; i++, v >>= 8n) h = Math.imul(h ^ Number(v & 0xffn), 0x01000193) >>> 0;
  return h;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** @internal */
export async function runShare(options: ShareOptions, hooks: ShareHooks): Promise<ShareResult> {
  const generator = new CaseGenerator({ seed: options.seed, stream: options.stream, layout: options.layout, pageSize: options.pageSize, lengths: options.lengths });
  let model = new MapsModel(options.pageSize);
  const scratch = Buffer.alloc(options.lengths[1]);
  const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<FuzzOutcome, number>;
  const mismatches: FuzzMismatch[] = [];
  const samples: FuzzSample[] = [];
  const sampleLimit = options.samples ?? 0;
  let mismatchCount = 0;
  let rechecked = 0;
  let unstable = 0;
  // The two reads that bracket a disagreement's copies (see judge).
  const before = new MapsModel(options.pageSize);
  let after = new MapsModel(options.pageSize);
  let digest = 0x811c9dc5;
  let refreshedAt = Date.now();

  const copy = (address: bigint, length: number, strategy: Strategy, api: FuzzApi): CopyResult =>
    api === 'safeMemcpy' ? safeMemcpy(scratch, address, length, { strategy }) : safeRead(address, length, { strategy });

  let done = 0;
  while (done < options.iterations && !hooks.aborted()) {
    const sliceEnd = Date.now() + SLICE_MS;
    for (; done < options.iterations && Date.now() < sliceEnd; done++) {
      const { kind, address, length } = generator.next();
      digest = fnv1a(fnv1a(digest, address), BigInt(length));
      const strategy: Strategy = done % 2 === 0 ? 'signal' : 'syscall';
      const api: FuzzApi = (done >> 1) % 2 === 0 ? 'safeMemcpy' : 'safeRead';
      const result = copy(address, length, strategy, api);
      const outcome: FuzzOutcome = result.fault === null ? 'readable' : result.fault.code;
      outcomes[outcome]++;
      if (samples.length < sampleLimit) samples.push({ address, length, kind, outcome });
      if (disagreement(result, address, length, strategy, model.expect(address, length, strategy), model) === null) continue;

      // A disagreement with a read of the maps up to MODEL_REFRESH_MS old: judged again from bracketing reads.
      const judgement = judge(address, length, strategy, () => copy(address, length, strategy, api), before, after);
      [model, after] = [after, model];  // the freshest read judges the next cases
      refreshedAt = Date.now();
      if (judgement.kind === 'explained') {
        rechecked++;
        continue;
      }
      if (judgement.kind === 'unstable') {
        unstable++;
        continue;
      }
      mismatchCount++;
      if (mismatches.length < MISMATCHES_KEPT) {
        const { result: confirmed, reason, expected } = judgement;
        mismatches.push({
          address, length, strategy, api, kind, reason,
          copy: { bytesCopied: confirmed.bytesCopied, code: confirmed.fault?.code ?? null, faultAddress: confirmed.fault?.address ?? null },
          maps: { minBytes: expected.min, maxBytes: expected.max, verdict: expected.verdict },
        });
      }
    }
    if (Date.now() - refreshedAt > MODEL_REFRESH_MS) {
      model.refresh();
      refreshedAt = Date.now();
    }
    hooks.progress(done);
    if (done < options.iterations) await nextTurn();
  }
  return { iterations: done, samples, outcomes, mismatches, mismatchCount, rechecked, unstable, digest: digest.toString(16).padStart(8, '0') };
}
