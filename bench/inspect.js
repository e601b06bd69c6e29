'use strict';
// npm run bench:inspect: reading memory like a debugger, each measurement against its yardstick side by side in
// alternating rounds of one run (machines differ ~3x in absolute speed; the ratios are what to read):
//   1. readU32 of a readable address against safeRead(address, 4) followed by readUInt32LE (target <= 1.3x);
//   2. scanMemory of a 64 MiB readable region (random bytes) for a 4-byte pattern with one wildcard against
//      Buffer.indexOf over the same bytes already in a Buffer, as speeds (target >= 1.0x), once per search routine
//      the machine can run (SSE2, and AVX2 where the CPU has it), the routines taking turns in every round;
//   3. readCString of a 100-byte string against safeRead(address, 100) (target <= 2x).
// Each row: the median of the per-round ratios, and their spread (min-max).
const crypto = require('node:crypto');

const { addressOf, mapPages, pageSize, readCString, readU32, safeMemcpy, safeRead, scanMemory, scanMemoryIter, scanReadable } = require('..');
const { binding } = require('../dist/common/native');  // which pattern search routine runs: the machine's, or forced
const { compilePattern } = require('../dist/inspect/pattern');
const { formatNs, machine, median, spread } = require('./stats');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const ROUND_NS = 20e6;  // time per variant per round for the small operations

function nsPerOp(fn, iterations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** ns per call of each variant, per round, the variants taking turns in every round. */
function rounds(variants) {
  const iterations = {};
  for (const [name, fn] of Object.entries(variants)) {
    nsPerOp(fn, 1000);
    iterations[name] = Math.max(1, Math.round(ROUND_NS / Math.max(nsPerOp(fn, 1000), 1)));
  }
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(variants)) samples[name].push(nsPerOp(fn, iterations[name]));
  }
  return samples;
}

/** The checksum each variant computes, so that nothing is optimised away and both read the same bytes. */
let sink = 0;

function typedRead() {
  const buffer = Buffer.from([0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]);
  const address = addressOf(buffer);
  const samples = rounds({
    readU32: () => {
      const r = readU32(address);
      if (r.ok) sink ^= r.value;
    },
    'safeRead + readUInt32LE': () => {
      const r = safeRead(address, 4);
      if (r.ok) sink ^= r.data.readUInt32LE(0);
    },
  });
  return ratioRow('readU32 of a readable address', samples.readU32, samples['safeRead + readUInt32LE'], 'safeRead(address, 4) + readUInt32LE', '≤ 1.3x');
}

function cString() {
  const buffer = Buffer.alloc(101, 'm');
  buffer[100] = 0;
  const address = addressOf(buffer);
  const samples = rounds({
    readCString: () => {
      sink ^= readCString(address).bytesRead;
    },
    safeRead: () => {
      sink ^= safeRead(address, 100).bytesCopied;
    },
  });
  return ratioRow('readCString of a 100-byte string', samples.readCString, samples.safeRead, 'safeRead(address, 100)', '≤ 2x');
}

function scan() {
  const size = 64 << 20;
  const mapping = mapPages(size / pageSize + 2);
  mapping.protect(0, pageSize, 'none');
  mapping.protect(size + pageSize, pageSize, 'none');
  const start = mapping.address + BigInt(pageSize);
  const bytes = crypto.randomBytes(size);
  safeMemcpy(start, bytes, size);
  const needle = Buffer.from([0xde, 0xad, 0x5a, 0xef]);
  const window = { start, end: start + BigInt(size) };
  const timeOf = (fn) => {
    const begin = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - begin);
  };
  const defaultRoutine = binding._patternRoutine();
  const routines = [process.arch === 'x64' ? 'sse2' : 'neon', 'avx2'].filter((routine) => binding._forcePatternRoutine(routine));
  const samples = { indexOf: [], scanReadable: [] };
  const search = () => (sink ^= scanMemory('de ad ?? ef', window).length);
  // The search alone: the native call scanMemory makes for the one readable range, without listing the ranges.
  const compiled = compilePattern('de ad ?? ef');
  const searchAlone = () => (sink ^= binding.scanMemory(window.start, window.end, compiled.bytes, compiled.masks, 0, 2 ** 32).length);
  for (const routine of routines) {
    samples[routine] = [];
    samples[`${routine} alone`] = [];
    binding._forcePatternRoutine(routine);
    timeOf(search);
    timeOf(searchAlone);
  }
  timeOf(() => bytes.indexOf(needle));
  for (let round = 0; round < ROUNDS; round++) {
    for (const routine of routines) {
      binding._forcePatternRoutine(routine);
      samples[routine].push(timeOf(search));
      samples[`${routine} alone`].push(timeOf(searchAlone));
    }
    samples.indexOf.push(timeOf(() => {
      for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 4)) sink ^= at;
    }));
    // What every scanMemory call pays before it searches: listing the readable ranges of its window.
    samples.scanReadable.push(timeOf(() => (sink ^= scanReadable(window).length)));
  }
  binding._forcePatternRoutine('auto');
  const speed = (ns) => size / ns;  // bytes per ns = GB/s
  const ratios = (variant) => samples[variant].map((ns, round) => speed(ns) / speed(samples.indexOf[round]));
  return { samples, routines, defaultRoutine, ratios, speed, mapping, window };
}

function ratioRow(what, ours, yardstick, against, target) {
  const ratios = ours.map((ns, round) => ns / yardstick[round]);
  return [what, formatNs(median(ours)), `${against}: ${formatNs(median(yardstick))}`, `${median(ratios).toFixed(2)}x (${spread(ratios)})`, target];
}

async function main() {
  console.log(`npm run bench:inspect: ${ROUNDS} rounds`);
  console.log(`machine: ${machine()}, pattern search ${binding._patternRoutine()}\n`);
  const rows = [typedRead(), cString()];
  const scanned = scan();
  const { samples, routines, defaultRoutine, ratios, speed } = scanned;
  for (const routine of routines) {
    rows.push([
      `scanMemory, 64 MiB, de ad ?? ef, ${routine}${routine === defaultRoutine ? ' (default)' : ''}`,
      `${formatNs(median(samples[routine]))} (${median(samples[routine].map(speed)).toFixed(1)} GB/s)`,
      `Buffer#indexOf: ${formatNs(median(samples.indexOf))} (${median(samples.indexOf.map(speed)).toFixed(1)} GB/s)`,
      `${median(ratios(routine)).toFixed(2)}x the speed (${spread(ratios(routine))})`,
      '≥ 1.0x',
    ]);
  }
  const alone = routines.map((routine) => `${routine} ${formatNs(median(samples[`${routine} alone`]))}, ${median(ratios(`${routine} alone`)).toFixed(2)}x (${spread(ratios(`${routine} alone`))})`).join('; ');
  const listing = `each scanMemory call first lists the readable ranges of its window (scanReadable alone: ${formatNs(median(samples.scanReadable))});\nthe native search of the one range alone, and its speed against Buffer#indexOf: ${alone}`;
  // The iterator, for the record: the same search in 4 MiB jobs on the threadpool.
  const begin = process.hrtime.bigint();
  for await (const match of scanMemoryIter('de ad ?? ef', scanned.window)) sink ^= Number(match & 0xffn);
  const iterNs = Number(process.hrtime.bigint() - begin);
  scanned.mapping.unmap();
  const headers = ['what', 'memprobe', 'yardstick', 'ratio (spread)', 'target'];
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  console.log([line(headers), ...rows.map(line)].join('\n'));
  console.log(`\n${listing}`);
  console.log(`scanMemoryIter over the same 64 MiB (16 jobs on the threadpool, ${defaultRoutine}): ${formatNs(iterNs)}`);
  console.log(`(checksum ${sink})`);
}

main();
