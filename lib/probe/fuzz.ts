/// <reference types="node" preserve="true" />
// (The reference above keeps the emitted .d.ts self-sufficient: it uses Node's AbortSignal; see lib/common/types.ts.)
// fuzz(): throws many addresses at this process's memory through the real copy and checks each verdict against
// /proc/self/maps. One stream runs on the calling thread (yielding to the event loop between slices); `threads: N`
// runs N streams on worker_threads and merges them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Worker as WorkerThread } from 'node:worker_threads';

import { invalidArgType, outOfRange } from '../common/errors';
import type { LayoutEntry } from './fuzz-generator';
import { MISMATCHES_KEPT, OUTCOMES, runShare, type FuzzMismatch, type FuzzOutcome, type FuzzSample, type ShareOptions, type ShareResult } from './fuzz-runner';
import type { WorkerInput, WorkerMessage } from './fuzz-worker';
import { pageSize } from '../memory/copy';
import { readMaps } from './probe';
import { checkKnownOptions, checkLength, checkPositiveInteger } from '../common/validate';

export type { FuzzApi, FuzzMismatch, FuzzOutcome, FuzzSample } from './fuzz-runner';
export type { FuzzCaseKind } from './fuzz-generator';
export type { MapsVerdict } from './fuzz-model';

/**
 * Options of {@link fuzz}.
 * @group Probing and fuzzing
 */
export interface FuzzOptions {
  /** cases in all (default 100,000) */
  iterations?: number;
  /** a 32-bit unsigned integer; default: a random one (reported, so the run can be repeated) */
  seed?: number;
  /** worker threads, each with its own stream (default 1: the calling thread) */
  threads?: number;
  /** [min, max] bytes per case (default [0, 4 pages]) */
  lengths?: [number, number];
  /** called at most every 100 ms with the cases done so far and in all, and once at the end */
  onProgress?: (done: number, total: number) => void;
  /** stops the run early: the promise resolves with what was done (`aborted: true`) */
  signal?: AbortSignal;
  /**
   * cases to keep in the report's `samples`, each stream keeping its first share of them (default 0: none), for
   * {@link renderAddressSpace} to draw; at most 1,000,000
   */
  samples?: number;
}

/**
 * What {@link fuzz} found.
 * @group Probing and fuzzing
 */
export interface FuzzReport {
  /** cases run (fewer than requested when aborted) */
  iterations: number;
  /** cases asked for */
  requested: number;
  /** the seed used: pass it again to repeat the run */
  seed: number;
  /** streams run (worker threads, or 1 for the calling thread) */
  threads: number;
  /** [min, max] bytes per case */
  lengths: [number, number];
  /** the run was stopped by `options.signal` before it ran every case */
  aborted: boolean;
  /** how each case ended: 'readable' (every byte copied) or the fault code */
  outcomes: Record<FuzzOutcome, number>;
  /** the first cases of each stream, as many in all as `options.samples` asked for (empty by default) */
  samples: FuzzSample[];
  /** the first 100 disagreements confirmed by copies bracketed by equal maps reads (README, "The fuzzer") */
  mismatches: FuzzMismatch[];
  /** every disagreement that survived the re-check (0 when the copy agreed with the maps throughout) */
  mismatchCount: number;
  /** disagreements that a copy bracketed by two equal maps reads agreed with (the map had changed meanwhile) */
  rechecked: number;
  /** disagreements that were never bracketed by two equal maps reads: other threads kept changing those pages.
   *  Not mismatches (no verdict could be stood behind); many of them with no such threads are worth a look. */
  unstable: number;
  /** the run's wall-clock time in milliseconds */
  durationMs: number;
  /** cases per second, rounded */
  probesPerSecond: number;
  /** the mappings the generator aimed at (taken at the start) */
  layoutMappings: number;
  /** FNV-1a digest per stream of its (address, length) sequence: the same for the same seed and layout */
  digests: string[];
}

const MAX_THREADS = 64;
const MAX_LENGTH = 1 << 24;
const MAX_SAMPLES = 1_000_000;
const PROGRESS_MS = 100;

function checkOptions(options: unknown): Required<Pick<FuzzOptions, 'iterations' | 'seed' | 'threads' | 'lengths' | 'samples'>> & FuzzOptions {
  checkKnownOptions(options, ['iterations', 'seed', 'threads', 'lengths', 'onProgress', 'signal', 'samples']);
  const { iterations = 100_000, seed = Math.floor(Math.random() * 0x1_0000_0000), threads = 1, lengths = [0, 4 * pageSize], onProgress, signal, samples = 0 } = options as FuzzOptions;
  checkLength(iterations, 'options.iterations');
  if (typeof seed !== 'number') throw invalidArgType('options.seed', 'of type number', seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw outOfRange('options.seed', 'an integer from 0 to 2^32-1', seed);
  checkPositiveInteger(threads, 'options.threads');
  if (threads > MAX_THREADS) throw outOfRange('options.threads', `at most ${MAX_THREADS}`, threads);
  if (!Array.isArray(lengths) || lengths.length !== 2) throw invalidArgType('options.lengths', 'a [min, max] array', lengths);
  checkLength(lengths[0], 'options.lengths[0]');
  checkLength(lengths[1], 'options.lengths[1]');
  if (lengths[1] > MAX_LENGTH) throw outOfRange('options.lengths[1]', `at most ${MAX_LENGTH}`, lengths[1]);
  if (lengths[0] > lengths[1]) throw outOfRange('options.lengths[0]', `at most options.lengths[1] (${lengths[1]})`, lengths[0]);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidArgType('options.onProgress', 'of type function', onProgress);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  checkLength(samples, 'options.samples');
  if (samples > MAX_SAMPLES) throw outOfRange('options.samples', `at most ${MAX_SAMPLES}`, samples);
  return { iterations, seed, threads, lengths: [lengths[0], lengths[1]], onProgress, signal, samples };
}

/** The worker script: beside this file once built; from the TypeScript sources (tests), the built copy. */
function workerScript(): string {
  const candidates = [path.join(__dirname, 'fuzz-worker.js'), path.join(__dirname, '..', '..', 'dist', 'probe', 'fuzz-worker.js')];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found === undefined) throw new Error(`memprobe: the fuzz worker is not built (looked for ${candidates.join(', ')}). Run \`npm run build:ts\`.`);
  return found;
}

function runInWorker(share: ShareOptions, abort: Int32Array, progress: (done: number) => void): Promise<ShareResult> {
  return new Promise((resolve, reject) => {
    // Loaded here, not at the top: most programs that load memprobe never fuzz on threads.
    const { Worker } = require('node:worker_threads') as { Worker: typeof WorkerThread };
    const worker = new Worker(workerScript(), { workerData: { share, abort } satisfies WorkerInput });
    let result: ShareResult | undefined;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') progress(message.done);
      else result = message.result;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`memprobe: a fuzz worker exited with code ${code} before reporting`));
    });
  });
}

/** Iterations per stream: as even as possible, the first streams taking the remainder. */
function split(iterations: number, threads: number): number[] {
  return Array.from({ length: threads }, (_, k) => Math.floor(iterations / threads) + (k < iterations % threads ? 1 : 0));
}

/**
 * Copies `iterations` generated cases through safeMemcpy/safeRead (signal and syscall strategies alternating) and
 * checks each against /proc/self/maps. Resolves with a report; an aborted run resolves with what it did so far.
 * The same seed on the same memory layout gives the same cases. One stream runs on the calling thread, yielding to
 * the event loop between slices; `threads: N` runs N streams on worker threads.
 * @param options - how many cases, which seed, how many threads, which lengths, progress and abort
 * @returns a promise of the report
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`): the promise rejects with it when `options` or one of its fields has the wrong type
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`): the promise rejects with it when `iterations` is not a non-negative integer, `seed` not an integer from
 * 0 to 2^32 - 1, `threads` not from 1 to 64, or `lengths` not a [min, max] of byte counts with max at most 2^24
 * @group Probing and fuzzing
 * @example
 * ```ts
 * import { fuzz } from 'memprobe';
 *
 * fuzz({ iterations: 2_000, seed: 1 }).then((report) => {
 *   console.log(report.iterations, report.mismatchCount);  // 2000 0
 * });
 * ```
 */
export async function fuzz(options: FuzzOptions = {}): Promise<FuzzReport> {
  const { iterations, seed, threads, lengths, onProgress, signal, samples } = checkOptions(options);
  const started = performance.now();
  const layout: LayoutEntry[] = readMaps().map(({ start, end }) => ({ start, end }));
  const shares = split(iterations, threads);
  const done = new Array<number>(threads).fill(0);
  const abort = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = (): void => void Atomics.store(abort, 0, 1);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  // The first failure of the run (an onProgress that throws, a worker that fails): it stops every stream, and the
  // promise rejects with it once they have all stopped. onProgress runs in a worker's message listener, where a
  // throw would be an uncaught exception, so it is caught here on every path.
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = { error };
    Atomics.store(abort, 0, 1);
  };
  let reportedAt = 0;
  const progress = (stream: number, count: number): void => {
    done[stream] = count;
    const now = performance.now();
    if (onProgress === undefined || failure !== undefined || now - reportedAt < PROGRESS_MS) return;
    reportedAt = now;
    try {
      onProgress(done.reduce((a, b) => a + b, 0), iterations);
    } catch (error) {
      fail(error);
    }
  };

  let settled: Array<PromiseSettledResult<ShareResult>>;
  try {
    settled = await Promise.allSettled(shares.map((share, stream) => {
      const shareOptions: ShareOptions = { seed, stream, iterations: share, lengths, layout, pageSize, samples: split(samples, threads)[stream] };
      const report = (count: number): void => progress(stream, count);
      const result = threads === 1
        ? runShare(shareOptions, { progress: report, aborted: () => Atomics.load(abort, 0) === 1 })
        : runInWorker(shareOptions, abort, report);
      return result.catch((error: unknown) => {
        fail(error);
        throw error;
      });
    }));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.error;
  const results = settled.map((outcome) => (outcome as PromiseFulfilledResult<ShareResult>).value);

  const durationMs = performance.now() - started;
  const total = results.reduce((sum, result) => sum + result.iterations, 0);
  onProgress?.(total, iterations);
  const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, results.reduce((sum, result) => sum + result.outcomes[outcome], 0)])) as Record<FuzzOutcome, number>;
  return {
    iterations: total,
    requested: iterations,
    seed,
    threads,
    lengths,
    aborted: total < iterations,
    outcomes,
    samples: results.flatMap((result) => result.samples),
    mismatches: results.flatMap((result) => result.mismatches).slice(0, MISMATCHES_KEPT),
    mismatchCount: results.reduce((sum, result) => sum + result.mismatchCount, 0),
    rechecked: results.reduce((sum, result) => sum + result.rechecked, 0),
    unstable: results.reduce((sum, result) => sum + result.unstable, 0),
    durationMs,
    probesPerSecond: durationMs > 0 ? Math.round(total / (durationMs / 1000)) : 0,
    layoutMappings: layout.length,
    digests: results.map((result) => result.digest),
  };
}
