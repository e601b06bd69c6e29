'use strict';
// npm run bench: what the guard costs. safeMemcpy (both strategies) against the floor any Node-API addon
// pays for the same arguments (bench/native/floor.cc), Buffer.prototype.copy and TypedArray.prototype.set,
// measured side by side in rounds; ratios are medians of per-round ratios (machines are noisy, ratios are
// what stays stable). Then the cost of one fault from JavaScript, and the system calls a non-faulting copy
// makes, counted with strace. The fault's cost is also given as a ratio to a C sigsetjmp/siglongjmp round trip
// (bench/native/fault_round_trip.cc) measured in the same rounds.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { addressOf, mapPages, pageSize, safeMemcpy } = require('..');
const { loadBenchAddon } = require('./native-build');
const { formatNs, median, spread } = require('./stats');

const floor = loadBenchAddon('memprobe_bench_floor');
const faultC = loadBenchAddon('memprobe_bench_fault');
const { binding: guard } = require('../dist/common/native');  // the handler's exit: without sigreturn where possible (default), or always by it

const SIZES = [8, 64, 4096, 64 * 1024, 1024 * 1024, 64 * 1024 * 1024];
const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const ROUND_NS = 10e6;  // time per variant per round
const SYSCALL = { strategy: 'syscall' };

function nsPerOp(fn, iterations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Runs every variant once per round, in turn; returns median ns/op and median ratio to `baseline`. */
function compare(variants, baseline) {
  const iterations = {};
  for (const [name, fn] of Object.entries(variants)) {
    nsPerOp(fn, 200);  // warm up (and let the JIT settle)
    iterations[name] = Math.max(3, Math.round(ROUND_NS / Math.max(nsPerOp(fn, 200), 1)));
  }
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(variants)) samples[name].push(nsPerOp(fn, iterations[name]));
  }
  const result = {};
  for (const name of Object.keys(variants)) {
    const ratios = samples[name].map((ns, round) => ns / samples[baseline][round]);
    result[name] = { ns: median(samples[name]), ratio: median(ratios), ratios };
  }
  return result;
}

function formatSize(bytes) {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function copyTable() {
  const largest = SIZES[SIZES.length - 1];
  const src = Buffer.alloc(largest, 0x5a);
  const dst = Buffer.alloc(largest);
  const srcAddress = addressOf(src);
  const rows = [];
  for (const size of SIZES) {
    const srcView = src.subarray(0, size);
    const variants = {
      floor: () => floor.unguardedCopy(dst, srcAddress, size),
      signal: () => safeMemcpy(dst, srcAddress, size),
      syscall: () => safeMemcpy(dst, srcAddress, size, SYSCALL),
      bufferCopy: () => src.copy(dst, 0, 0, size),
      typedArraySet: () => dst.set(srcView),
    };
    const r = compare(variants, 'floor');
    const vsCopy = median(r.signal.ratios.map((ratio, i) => ratio / r.bufferCopy.ratios[i]));
    rows.push({ size, r, vsCopy });
  }
  console.log(`Copy into a Buffer from a raw address (median of ${ROUNDS} rounds; x = ratio to the unguarded N-API floor,`);
  console.log('for the signal strategy with the lowest and highest ratio of a round)\n');
  console.log('| size | N-API floor | safeMemcpy signal | safeMemcpy syscall | Buffer#copy | TypedArray#set | signal / Buffer#copy |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { size, r, vsCopy } of rows) {
    const cell = (name) => `${formatNs(r[name].ns)} (${r[name].ratio.toFixed(2)}x)`;
    const signal = `${formatNs(r.signal.ns)} (${r.signal.ratio.toFixed(2)}x, ${spread(r.signal.ratios)})`;
    console.log(`| ${formatSize(size)} | ${formatNs(r.floor.ns)} | ${signal} | ${cell('syscall')} | ${cell('bufferCopy')} | ${cell('typedArraySet')} | ${vsCopy.toFixed(3)} |`);
  }
  return rows;
}

/** Per-round samples of ns per call (divided by `per`), each variant after its `setup`, all variants in turn every round. */
function timedRounds(variants) {
  const names = Object.keys(variants);
  const iterations = {};
  for (const name of names) {
    const { fn, setup = () => {}, per = 1 } = variants[name];
    setup();
    nsPerOp(fn, 200);
    iterations[name] = Math.max(3, Math.round(ROUND_NS / Math.max(nsPerOp(fn, 200), 1)));
    variants[name].per = per;
  }
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const { fn, setup = () => {}, per } = variants[name];
      setup();
      samples[name].push(nsPerOp(fn, iterations[name]) / per);
    }
  }
  return samples;
}

/**
 * Where a 64-byte copy's time goes, each step adding one layer: the N-API floor (decode three arguments, memcpy);
 * the addon's copy function called directly (the same decoding, the guard's once-per-turn ownership compare, the
 * guarded forward copy, `undefined` back); safeMemcpy (its argument checks and the result object).
 */
function smallCopyLayers() {
  const src = Buffer.alloc(64, 1);
  const dst = Buffer.alloc(64);
  const srcAddress = addressOf(src);
  const copier = guard.copiers[guard.selector.view * guard.selector.dst + guard.selector.address];
  const samples = timedRounds({
    floor: { fn: () => floor.unguardedCopy(dst, srcAddress, 64) },
    copier: { fn: () => copier(dst, srcAddress, 64) },
    safeMemcpy: { fn: () => safeMemcpy(dst, srcAddress, 64) },
  });
  const row = (name) => `${formatNs(median(samples[name]))} (${median(samples[name].map((ns, round) => ns / samples.floor[round])).toFixed(2)}x, ${spread(samples[name].map((ns, round) => ns / samples.floor[round]))})`;
  console.log('\nWhere a 64-byte copy\'s time goes (x = ratio to the N-API floor in the same round, spread over rounds)\n');
  console.log('| N-API floor | + the guarded copy (the addon\'s function alone) | + safeMemcpy\'s checks and result object |');
  console.log('|---|---|---|');
  console.log(`| ${formatNs(median(samples.floor))} | ${row('copier')} | ${row('safeMemcpy')} |`);
  src.fill(0);  // keeps `src` alive: the copies read it by address
}

function faultCost() {
  const mapping = mapPages(2);
  mapping.protect(pageSize, pageSize, 'none');
  const dst = Buffer.alloc(64);
  const good = mapping.address;
  const bad = mapping.address + BigInt(pageSize);
  const C_BATCH = 100;
  const copier = guard.copiers[guard.selector.view * guard.selector.dst + guard.selector.address];
  const samples = timedRounds({
    ok: { fn: () => safeMemcpy(dst, good, 8) },
    fault: { fn: () => safeMemcpy(dst, bad, 8), setup: () => guard._setGuardFastExit(true) },
    faultSigreturn: { fn: () => safeMemcpy(dst, bad, 8), setup: () => guard._setGuardFastExit(false) },
    faultSyscall: { fn: () => safeMemcpy(dst, bad, 8, SYSCALL) },
    c: { fn: () => faultC.faultRoundTrips(C_BATCH), per: C_BATCH },
    cMaskQuery: { fn: () => faultC.faultRoundTripsWithMaskQuery(C_BATCH), per: C_BATCH },
    guardAlone: { fn: () => guard._recoverFaults(C_BATCH), per: C_BATCH, setup: () => guard._setGuardFastExit(true) },
    copier: { fn: () => copier(dst, bad, 8), setup: () => guard._setGuardFastExit(true) },
  });
  guard._setGuardFastExit(true);
  mapping.unmap();
  const ns = (name) => median(samples[name]);
  const ratio = (name) => median(samples[name].map((value, round) => value / samples.c[round]));
  console.log('\nOne fault, end to end from JavaScript (8 bytes from a PROT_NONE page), against a C round trip measured');
  console.log('in the same rounds: sigsetjmp(env, 0), a load from a PROT_NONE page, siglongjmp from an SA_NODEFER handler\n');
  console.log('| non-faulting copy | C sigsetjmp/siglongjmp | fault, signal strategy | fault, handler left by sigreturn | fault, syscall strategy |');
  console.log('|---|---|---|---|---|');
  console.log(`| ${formatNs(ns('ok'))} | ${formatNs(ns('c'))} | ${formatNs(ns('fault'))} (${ratio('fault').toFixed(2)}x C) | ${formatNs(ns('faultSigreturn'))} (${ratio('faultSigreturn').toFixed(2)}x C) | ${formatNs(ns('faultSyscall'))} |`);
  console.log('\nWhere the fault\'s time goes, each step adding one layer (x = ratio to the C round trip in the same round)\n');
  console.log('| C round trip | + the mask query the fast exit needs (C) | the guard alone (C loop of guarded reads) | + the addon\'s copy function | + safeMemcpy |');
  console.log('|---|---|---|---|---|');
  const cell = (name) => `${formatNs(ns(name))} (${ratio(name).toFixed(2)}x, ${spread(samples[name].map((value, round) => value / samples.c[round]))})`;
  console.log(`| ${formatNs(ns('c'))} | ${cell('cMaskQuery')} | ${cell('guardAlone')} | ${cell('copier')} | ${cell('fault')} |`);
}

/** System calls made by a process doing `count` non-faulting 64-byte copies, from strace -c. */
function syscallsFor(count, strategy) {
  const script = `
    const m = require(${JSON.stringify(path.join(__dirname, '..'))});
    const src = Buffer.alloc(64, 1), dst = Buffer.alloc(64), a = m.addressOf(src), o = { strategy: ${JSON.stringify(strategy)} };
    for (let i = 0; i < ${count}; i++) if (!m.safeMemcpy(dst, a, 64, o).ok) process.exit(3);`;
  const report = path.join(os.tmpdir(), `memprobe-strace-${process.pid}.txt`);
  const run = spawnSync('strace', ['-f', '-c', '-o', report, process.execPath, '-e', script]);
  const lines = fs.readFileSync(report, 'utf8').split('\n');
  fs.rmSync(report);
  if (run.status !== 0) throw new Error(`the strace run failed (${run.status})`);
  const total = lines.find((line) => /\btotal\s*$/.test(line));
  return Number(total.trim().split(/\s+/)[3]);  // % time, seconds, usecs/call, calls, [errors,] total
}

function syscallCount() {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
  } catch {
    console.log('\nstrace is not installed: system calls per copy not measured');
    return;
  }
  console.log('\nSystem calls per non-faulting 64-byte copy (strace -f -c; the difference between two runs removes start-up)\n');
  console.log('| strategy | calls, 100,000 copies | calls, 1,100,000 copies | difference | per copy |');
  console.log('|---|---|---|---|---|');
  for (const strategy of ['signal', 'syscall']) {
    const small = syscallsFor(100_000, strategy);
    const large = syscallsFor(1_100_000, strategy);
    console.log(`| ${strategy} | ${small} | ${large} | ${large - small} | ${((large - small) / 1_000_000).toFixed(3)} |`);
  }
}

copyTable();
smallCopyLayers();
faultCost();
syscallCount();
