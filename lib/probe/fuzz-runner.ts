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
  /** what the copy said (the second time: a disagreement is copied again before it counts) */
  copy: {
    /** bytes the copy copied */
    bytesCopied: number;
    /** its fault's code, null when every byte was copied */
    code: FaultCode | null;
    /** its fault's address, null when every byte was copied */
    faultAddress: bigint | null;
  };
  /** what /proc/self/maps said after a fresh read: the bytes a copy must copy, and the verdict where that ends */
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

/** @internal */
export interface ShareOptions {
  seed: number;
  stream: number;
  iterations: number;
  lengths: readonly [number, number];
  layout: readonly LayoutEntry[];
  pageSize: number;
}

/** @internal */
export interface ShareResult {
  iterations: number;
  outcomes: Record<FuzzOutcome, number>;
  mismatches: FuzzMismatch[];
  mismatchCount: number;
  /** disagreements that a fresh maps read (and a second copy) explained: the map changed meanwhile */
  rechecked: number;
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

function fnv1a(hash: number, value: bigint): number {
  let h = hash;
  for (let v = value, i = 0; i < 8; i++, v >>= 8n) h = Math.imul(h ^ Number(v & 0xffn), 0x01000193) >>> 0;
  return h;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** @internal */
export async function runShare(options: ShareOptions, hooks: ShareHooks): Promise<ShareResult> {
  const generator = new CaseGenerator({ seed: options.seed, stream: options.stream, layout: options.layout, pageSize: options.pageSize, lengths: options.lengths });
  const model = new MapsModel(options.pageSize);
  const scratch = Buffer.alloc(options.lengths[1]);
  const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<FuzzOutcome, number>;
  const mismatches: FuzzMismatch[] = [];
  let mismatchCount = 0;
  let rechecked = 0;
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
      let result = copy(address, length, strategy, api);
      outcomes[result.fault === null ? 'readable' : result.fault.code]++;
      if (disagreement(result, address, length, strategy, model.expect(address, length, strategy), model) === null) continue;

      // A disagreement: first a fresh look at the maps (and, where the copy stopped, pagemap and the file's size).
      const recheck = (): string | null => {
        model.refresh();
        if (result.fault !== null) model.refine(result.fault.address);
        return disagreement(result, address, length, strategy, model.expect(address, length, strategy), model);
      };
      if (recheck() === null) {
        rechecked++;
        continue;
      }
      // Still: the map may have changed between the copy and the read. Copy again, read the maps again.
      result = copy(address, length, strategy, api);
      const reason = recheck();
      if (reason === null) {
        rechecked++;
        continue;
      }
      mismatchCount++;
      if (mismatches.length < MISMATCHES_KEPT) {
        const expected = model.expect(address, length, strategy);
        mismatches.push({
          address, length, strategy, api, kind, reason,
          copy: { bytesCopied: result.bytesCopied, code: result.fault?.code ?? null, faultAddress: result.fault?.address ?? null },
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
  return { iterations: done, outcomes, mismatches, mismatchCount, rechecked, digest: digest.toString(16).padStart(8, '0') };
}
