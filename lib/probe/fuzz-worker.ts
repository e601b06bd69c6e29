// A worker of a threaded fuzz run (lib/probe/fuzz.ts starts it): runs its stream and reports progress and the result.
import { parentPort, workerData } from 'node:worker_threads';

import { runShare, type ShareOptions } from './fuzz-runner';

/** @internal */
export interface WorkerInput {
  share: ShareOptions;
  /** [0] becomes 1 when the run is aborted */
  abort: Int32Array;
}

/** @internal */
export type WorkerMessage = { type: 'progress'; done: number } | { type: 'done'; result: Awaited<ReturnType<typeof runShare>> };

const { share, abort } = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error('memprobe: fuzz-worker runs as a worker thread');
runShare(share, {
  progress: (done) => port.postMessage({ type: 'progress', done } satisfies WorkerMessage),
  aborted: () => Atomics.load(abort, 0) === 1,
}).then((result) => port.postMessage({ type: 'done', result } satisfies WorkerMessage));
