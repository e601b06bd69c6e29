'use strict';
// node bench/fuzz-churn.js: the fuzzer while other threads of the process map, protect and unmap pages in a loop.
// A copy and the maps read that judges it can see different address spaces there; the fuzzer must count such a
// case as unstable (or explained), never as a mismatch. Prints the merged report and exits 1 on a mismatch, like
// `memprobe fuzz`.
//   node bench/fuzz-churn.js [--iterations N] [--threads T] [--churners C] [--seed S]
// Defaults: a million cases, 2 fuzz threads, 1 churning worker, a random seed (printed).
const { Worker } = require('node:worker_threads');
const { parseArgs } = require('node:util');

const { fuzz } = require('..');
const { machine } = require('./stats');

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000000' },
    threads: { type: 'string', default: '2' },
    churners: { type: 'string', default: '1' },
    seed: { type: 'string' },
  },
});
const iterations = Number(values.iterations);
const threads = Number(values.threads);
const churners = Number(values.churners);
const seed = values.seed === undefined ? Math.floor(Math.random() * 0x1_0000_0000) : Number(values.seed);

// Each churner maps 4 pages, makes the second one PROT_NONE, unmaps the third, then the rest, until told to stop;
// the kernel hands the same hole back most of the time, so the fuzzer's edge cases keep landing on it.
const CHURNER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { mapPages, pageSize } = require(${JSON.stringify(require.resolve('..'))});
  const stop = workerData;
  let cycles = 0;
  const first = mapPages(4);
  parentPort.postMessage({ address: first.address });
  first.unmap();
  while (Atomics.load(stop, 0) === 0) {
    const mapping = mapPages(4);
    mapping.protect(pageSize, pageSize, 'none');
    mapping.unmap(2 * pageSize, pageSize);
    mapping.unmap();
    cycles++;
  }
  parentPort.postMessage({ cycles });`;

function startChurner(stop) {
  const worker = new Worker(CHURNER, { eval: true, workerData: stop });
  const started = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const finished = new Promise((resolve, reject) => {
    worker.on('message', (message) => message.cycles !== undefined && resolve(message.cycles));
    worker.once('error', reject);
  });
  return { started, finished };
}

async function main() {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: churners }, () => startChurner(stop));
  await Promise.all(workers.map((worker) => worker.started));
  let report;
  try {
    report = await fuzz({ iterations, seed, threads });
  } finally {
    Atomics.store(stop, 0, 1);
  }
  const cycles = (await Promise.all(workers.map((worker) => worker.finished))).reduce((a, b) => a + b, 0);
  const count = (n) => n.toLocaleString('en-US');
  console.log(`machine: ${machine()}`);
  console.log(`fuzz: ${count(report.iterations)} cases, seed ${report.seed}, ${report.threads} threads, ${(report.durationMs / 1000).toFixed(1)} s (${count(report.probesPerSecond)} probes/s)`);
  console.log(`churn: ${churners} worker${churners === 1 ? '' : 's'}, ${count(cycles)} map/protect/unmap cycles meanwhile`);
  console.log(`mismatches: ${report.mismatchCount}; disagreements explained by a stable maps window: ${count(report.rechecked)}; unstable (never a stable window): ${count(report.unstable ?? 0)}`);
  for (const m of report.mismatches) {
    console.log(`  0x${m.address.toString(16)} +${m.length} ${m.api} ${m.strategy}: ${m.reason}`);
  }
  process.exitCode = report.mismatchCount > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
