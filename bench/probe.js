'use strict';
// npm run bench:probe: probing and fuzzing, each against its yardstick in the same run, in alternating rounds
// (the machine is shared and absolute speed varies ~3x between machines; the ratios are what to read):
//   1. probeMany over 200,000 user-space addresses (3/4 uniform over the 47-bit half, 1/4 within 16 pages of a
//      mapping's edge) against one msync() per address in C (bench/native/msync_loop.c, built here on demand);
//   2. scanReadable() of the whole user half against reading and splitting /proc/self/maps in JavaScript;
//   3. fuzz with 2 threads against 1 thread (probes per second) over a million cases, and over 200,000 (where
//      starting the threads counts), beside two limits measured in the same rounds: SIGSEGV round trips in C on 2
//      threads of one process against 1 (bench/native/fault_threads.c; the kernel's fault delivery does not scale
//      fully within one process) and a plain JavaScript loop on 2 workers against 1 (what the machine gives).
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { fuzz, probeMany, readMaps, scanReadable } = require('..');
const { formatNs, median, spread } = require('./stats');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 9);
const FUZZ_ROUNDS = Number(process.env.BENCH_FUZZ_ROUNDS || 5);
const ADDRESSES = 200_000;
const PAGE = 4096n;

/** xorshift64*: the same addresses on every run of the benchmark (against the layout of the moment). */
function random(seed) {
  let state = BigInt(seed) | 1n;
  return () => {
    state ^= state >> 12n;
    state ^= (state << 25n) & 0xffff_ffff_ffff_ffffn;
    state ^= state >> 27n;
    return (state * 0x2545f4914f6cdd1dn) & 0xffff_ffff_ffff_ffffn;
  };
}

function benchAddresses() {
  const next = random(0x5eed);
  const maps = readMaps().filter((entry) => entry.end <= 1n << 47n);
  const addresses = new BigUint64Array(ADDRESSES);
  for (let i = 0; i < ADDRESSES; i++) {
    if (i % 4 !== 3) {
      addresses[i] = next() & ((1n << 47n) - 1n);
      continue;
    }
    const entry = maps[Number(next() % BigInt(maps.length))];
    const edge = next() & 1n ? entry.start : entry.end;
    const offset = (next() % (32n * PAGE)) - 16n * PAGE;
    const address = edge + offset;
    addresses[i] = address < 0n ? 0n : address;
  }
  return addresses;
}

/** bench/native/<name>.c, compiled into build/bench/ the first time. */
function cProgram(name, flags = []) {
  const source = path.join(__dirname, 'native', `${name}.c`);
  const binary = path.join(__dirname, '..', 'build', 'bench', name);
  if (!fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    execFileSync(process.env.CC || 'cc', ['-O2', ...flags, '-o', binary, source], { stdio: 'inherit' });
  }
  return binary;
}

function probeManyVsMsync() {
  const binary = cProgram('msync_loop');
  const addresses = benchAddresses();
  const file = path.join(os.tmpdir(), `memprobe-bench-addresses-${process.pid}.bin`);
  fs.writeFileSync(file, Buffer.from(addresses.buffer));
  const probeNs = [];
  const msyncNs = [];
  try {
    probeMany(addresses);  // warm up
    for (let round = 0; round < ROUNDS; round++) {
      const start = process.hrtime.bigint();
      probeMany(addresses);
      probeNs.push(Number(process.hrtime.bigint() - start) / ADDRESSES);
      msyncNs.push(Number(execFileSync(binary, [file, '3'], { encoding: 'utf8' }).split(' ')[0]));
    }
  } finally {
    fs.rmSync(file);
  }
  const codes = probeMany(addresses);
  const counts = [0, 0, 0, 0];
  for (const code of codes) counts[code]++;
  const speedups = msyncNs.map((ns, round) => ns / probeNs[round]);
  return { probe: median(probeNs), msync: median(msyncNs), speedup: median(speedups), spread: spread(speedups), counts };
}

function scanVsMaps() {
  const scanUs = [];
  const mapsUs = [];
  const time = (fn, times) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < times; i++) fn();
    return Number(process.hrtime.bigint() - start) / times / 1e3;
  };
  // What a JavaScript scan from the maps has to do at least: read the file, split it into lines and fields.
  const readAndSplit = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.split(' '));
  time(() => scanReadable(), 20);
  time(readAndSplit, 20);
  for (let round = 0; round < ROUNDS; round++) {
    scanUs.push(time(() => scanReadable(), 50));
    mapsUs.push(time(readAndSplit, 50));
  }
  const ratios = scanUs.map((us, round) => us / mapsUs[round]);
  return { scan: median(scanUs), maps: median(mapsUs), ratio: median(ratios), spread: spread(ratios), ranges: scanReadable().length };
}

/** Iterations per second of a plain arithmetic loop on `threads` workers at once: the machine's own scaling. */
function spinRate(threads) {
  const code = `
    const { parentPort } = require('node:worker_threads');
    let n = 0, x = 0;
    const end = Date.now() + 400;
    while (Date.now() < end) { for (let i = 0; i < 1e5; i++) x = (x * 31 + i) | 0; n++; }
    parentPort.postMessage(n + (x & 0));`;
  return Promise.all(Array.from({ length: threads }, () => new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true });
    worker.once('message', resolve);
    worker.once('error', reject);
  }))).then((counts) => counts.reduce((a, b) => a + b, 0));
}

async function fuzzThreads() {
  // Each run starts its worker threads afresh (~35 ms, then the JIT warms up in each new isolate): a run of a
  // million cases (~5 s on one thread) measures the steady rate; a 200,000-case run shows what starting costs.
  const iterations = Number(process.env.BENCH_FUZZ_ITERATIONS || 1_000_000);
  const shortIterations = 200_000;
  const rates = { 1: [], 2: [] };
  const shortRatios = [];
  const ceilings = [];
  const faultCeilings = [];
  const faultThreads = cProgram('fault_threads', ['-pthread']);
  const faultRate = (threads) => Number(execFileSync(faultThreads, [String(threads), '500'], { encoding: 'utf8' }));
  await fuzz({ iterations: 20_000, seed: 1, threads: 2 });  // warm up (and compile the worker once)
  for (let round = 0; round < FUZZ_ROUNDS; round++) {
    for (const threads of [1, 2]) {
      const report = await fuzz({ iterations, seed: round + 1, threads });
      if (report.mismatchCount > 0) throw new Error(`fuzz found ${report.mismatchCount} mismatches`);
      rates[threads].push(report.probesPerSecond);
    }
    const shortOne = await fuzz({ iterations: shortIterations, seed: round + 1, threads: 1 });
    const shortTwo = await fuzz({ iterations: shortIterations, seed: round + 1, threads: 2 });
    shortRatios.push(shortTwo.probesPerSecond / shortOne.probesPerSecond);
    ceilings.push((await spinRate(2)) / (await spinRate(1)));
    faultCeilings.push(faultRate(2) / faultRate(1));
  }
  const ratios = rates[2].map((rate, round) => rate / rates[1][round]);
  return {
    one: median(rates[1]), two: median(rates[2]), ratio: median(ratios), spread: spread(ratios), iterations,
    shortIterations, shortRatio: median(shortRatios), shortSpread: spread(shortRatios),
    ceiling: median(ceilings), ceilingSpread: spread(ceilings),
    faultCeiling: median(faultCeilings), faultCeilingSpread: spread(faultCeilings),
  };
}

async function main() {
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  console.log(`memprobe probing benchmark: ${os.cpus()[0].model}, ${cores} cores, Linux ${os.release()}, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

  const p = probeManyVsMsync();
  console.log(`probeMany, ${ADDRESSES.toLocaleString('en-US')} addresses (${p.counts[0]} readable, ${p.counts[1]} protected, ${p.counts[2]} unmapped), median of ${ROUNDS} rounds\n`);
  console.log('| probeMany | one msync per address in C | speed-up (target >= 1) | spread over rounds |');
  console.log('|---|---|---|---|');
  console.log(`| ${formatNs(p.probe)}/address | ${formatNs(p.msync)}/address | ${p.speedup.toFixed(2)}x | ${p.spread} |`);

  const s = scanVsMaps();
  console.log(`\nscanReadable() of the whole user half (${s.ranges} ranges), median of ${ROUNDS} rounds\n`);
  console.log('| scanReadable() | read + split /proc/self/maps in JS | ratio (target <= 2) | spread over rounds |');
  console.log('|---|---|---|---|');
  console.log(`| ${s.scan.toFixed(1)} µs | ${s.maps.toFixed(1)} µs | ${s.ratio.toFixed(2)}x | ${s.spread} |`);

  const f = await fuzzThreads();
  console.log(`\nfuzz, ${f.iterations.toLocaleString('en-US')} cases per run, median of ${FUZZ_ROUNDS} rounds\n`);
  console.log('| 1 thread | 2 threads | ratio (target >= 1.6 on 2 idle cores) | spread over rounds | ' +
    `${f.shortIterations.toLocaleString('en-US')} cases (thread start-up counts) | SIGSEGV round trips in C, 2 threads / 1 | a JS loop, 2 workers / 1 |`);
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| ${f.one.toLocaleString('en-US')} probes/s | ${f.two.toLocaleString('en-US')} probes/s | ${f.ratio.toFixed(2)}x | ${f.spread} | ` +
    `${f.shortRatio.toFixed(2)}x (${f.shortSpread}) | ${f.faultCeiling.toFixed(2)}x (${f.faultCeilingSpread}) | ${f.ceiling.toFixed(2)}x (${f.ceilingSpread}) |`);
  console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
