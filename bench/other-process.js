'use strict';
// npm run bench:other-process: reading another process. A child holds a known u32 (and a u64 after it); in one
// run, in alternating rounds, the same address of that child is read by
//   (a) a C loop of process_vm_readv of 4 bytes (bench/native/remote_read_loop.c): the limit;
//   (b) readU32(address, { pid })   (target: within 1.2x of (a));
//   (c) readU64(address + 8, { pid });
//   (d) safeRead(address, 4, { pid }).
// Each row: the median ns per read on the CPU (the measuring thread's time on a CPU, the kernel's part included:
// CLOCK_THREAD_CPUTIME_ID on both sides, through koffi here), the median of the per-round
// ratios of that to (a), their spread (min–max), and the median wall-clock ns per read. Time on the CPU is what
// the ratios use, because on a shared machine the wall clock also counts the time others ran. Absolute speed
// differs ~3x between machines of one kind; the ratios are what to read.
const { execFileSync, spawn } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const readline = require('node:readline');

const koffi = require('koffi');

const { readU32, readU64, safeRead } = require('..');
const { cProgram } = require('./native-build');
const { formatNs, machine, median, spread } = require('./stats');

// Many short rounds: on a shared machine, noise then hits every variant alike more often than not.
const ROUNDS = Number(process.env.BENCH_ROUNDS || 31);
const ROUND_NS = Number(process.env.BENCH_ROUND_MS || 10) * 1e6;  // time per variant per round
const HELD_U32 = 0xfeedface;
const HELD_U64 = 0x0123_4567_89ab_cdefn;

// The child: a Buffer holding the two values, its address on stdout, alive until its stdin closes.
const CHILD = `
const { addressOf } = require(${JSON.stringify(path.join(__dirname, '..'))});
const held = Buffer.alloc(16);
held.writeUInt32LE(${HELD_U32}, 0);
held.writeBigUInt64LE(${HELD_U64}n, 8);
console.log(addressOf(held).toString());
process.stdin.resume();
process.stdin.on('end', () => process.exit(held.length === 16 ? 0 : 1));`;

async function startChild() {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const [line] = await once(lines, 'line');
  lines.close();
  return { pid: child.pid, address: BigInt(line), stop: async () => { child.stdin.end(); await once(child, 'exit'); } };
}

// This thread's CPU clock, as the C loop reads its own (/proc/thread-self/schedstat would be no substitute: it
// leaves out the slice running now, so it moves only at ticks and switches). Read at a round's ends only.
const libc = koffi.load('libc.so.6');
const CLOCK_THREAD_CPUTIME_ID = 3;
const clockGettime = libc.func('int clock_gettime(int, _Out_ int64_t *)');
const clockValue = new BigInt64Array(2);  // struct timespec: tv_sec, tv_nsec

/** ns this thread has spent on a CPU (user and kernel), as the scheduler counts it. */
function cpuNs() {
  if (clockGettime(CLOCK_THREAD_CPUTIME_ID, clockValue) !== 0) throw new Error('clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed');
  return Number(clockValue[0]) * 1e9 + Number(clockValue[1]);
}

/** { wall, cpu }: ns per call of `fn` over `iterations` calls. */
function nsPerOp(fn, iterations) {
  const cpu = cpuNs();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const wall = Number(process.hrtime.bigint() - start);
  return { wall: wall / iterations, cpu: (cpuNs() - cpu) / iterations };
}

/** The checksum the JavaScript variants fold their values into, so that nothing is optimised away. */
let sink = 0;

/** (a): the C loop, run once per round with enough reads for about ROUND_NS; returns its { wall, cpu } per read. */
function cLimit(binary, pid, address) {
  const run = (iterations) => {
    const [wall, cpu, value] = execFileSync(binary, [String(pid), String(address), String(iterations)], { encoding: 'utf8' }).trim().split(' ');
    if (Number(value) !== HELD_U32) throw new Error(`remote_read_loop read ${value}, not ${HELD_U32}`);
    return { wall: Number(wall), cpu: Number(cpu) };
  };
  const iterations = Math.max(1000, Math.round(ROUND_NS / run(2000).cpu));
  return { measure: () => run(iterations) };
}

/** A JavaScript variant: calibrated once to about ROUND_NS per round. */
function jsVariant(fn) {
  nsPerOp(fn, 2000);  // warm up (and let the JIT settle)
  const iterations = Math.max(1000, Math.round(ROUND_NS / Math.max(nsPerOp(fn, 2000).cpu, 1)));
  return { measure: () => nsPerOp(fn, iterations) };
}

function variants(child) {
  const { pid, address } = child;
  const options = { pid };
  const u64At = address + 8n;
  // Each is checked once before it is timed: a benchmark of a read that fails measures nothing.
  const checks = [
    [readU32(address, options), HELD_U32],
    [readU64(u64At, options), HELD_U64],
    [safeRead(address, 4, options).data.readUInt32LE(0), HELD_U32],
  ];
  for (const [got, expected] of checks) {
    const value = typeof got === 'object' ? got.value : got;
    if (value !== expected) throw new Error(`read ${value}, not ${expected}`);
  }
  return {
    'C process_vm_readv, 4 B': cLimit(cProgram('remote_read_loop'), pid, address),
    'readU32(address, { pid })': jsVariant(() => {
      const r = readU32(address, options);
      if (r.ok) sink ^= r.value;
    }),
    'readU64(address, { pid })': jsVariant(() => {
      const r = readU64(u64At, options);
      if (r.ok) sink ^= Number(r.value & 0xffn);
    }),
    'safeRead(address, 4, { pid })': jsVariant(() => {
      const r = safeRead(address, 4, options);
      if (r.ok) sink ^= r.data[0];
    }),
  };
}

/** Per-round ns of every variant; the order rotates each round, so none always runs first or after the C process. */
function rounds(all) {
  const names = Object.keys(all);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      samples[name].push(all[name].measure());
    }
  }
  return samples;
}

// --- rows for lib/symbols ---

/** Milliseconds `fn` takes, median of `times` calls (wall clock: these are file reads and parsing, not one system call). */
function medianMs(times, fn) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { median: median(samples), spread: spread(samples.map((ms) => ms / median(samples))) };
}

/**
 * lib/symbols against the same child (a Node process): modules(pid) beside the read of /proc/<pid>/maps it
 * starts from (its floor), and symbolize of 100,000 addresses spread over the child's modules, after the first
 * call has parsed each object's symbols. Targets: modules() under 1 ms; symbolize at least 1M addresses/s.
 */
function symbolRows(child) {
  const { modules, readMaps, symbolize } = require('..');
  const firstModules = medianMs(1, () => modules(child.pid)).median;
  const maps = medianMs(51, () => readMaps(child.pid));
  const listed = medianMs(51, () => modules(child.pid));
  const found = modules(child.pid);
  const addresses = [];
  let seed = 12345;
  for (let i = 0; i < 100_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const module = found[i % found.length];
    addresses.push(module.base + BigInt(seed % module.size));
  }
  const firstSymbolize = medianMs(1, () => symbolize(addresses, { pid: child.pid })).median;
  const batch = medianMs(9, () => symbolize(addresses, { pid: child.pid }));
  const named = symbolize(addresses, { pid: child.pid }).filter((answer) => answer?.symbol).length;
  return [
    { what: `modules(pid): ${found.length} modules (first call ${firstModules.toFixed(2)} ms)`, value: listed.median.toFixed(3), unit: 'ms',
      note: `${(listed.median / maps.median).toFixed(2)}x its floor, readMaps(pid) at ${maps.median.toFixed(3)} ms (spread ${listed.spread}); target under 1 ms` },
    { what: `symbolize(100,000 addresses, { pid }) after the first call (${firstSymbolize.toFixed(0)} ms, parsing)`, value: (100_000 / batch.median * 1000 / 1e6).toFixed(2), unit: 'M addresses/s',
      note: `${batch.median.toFixed(1)} ms per call, spread ${batch.spread}; ${named} addresses named by a symbol; target at least 1M/s` },
  ];
}

async function main() {
  console.log(`memprobe other-process benchmark: ${machine()}\n`);
  const child = await startChild();
  try {
    const all = variants(child);
    const samples = rounds(all);
    const [limit, ...others] = Object.keys(all);
    const cpu = (name) => samples[name].map((sample) => sample.cpu);
    const wall = (name) => median(samples[name].map((sample) => sample.wall));
    console.log(`Reading 4 or 8 bytes of another process (pid ${child.pid}), median of ${ROUNDS} alternating rounds of about`);
    console.log(`${ROUND_NS / 1e6} ms each; ratio: the median of per-round ratios of time on the CPU to the C loop's, spread: their`);
    console.log('lowest and highest\n');
    console.log('| what | on the CPU, per read | ratio to C | spread | wall clock, per read |');
    console.log('|---|---|---|---|---|');
    console.log(`| ${limit} (the limit) | ${formatNs(median(cpu(limit)))} | 1.00x | | ${formatNs(wall(limit))} |`);
    for (const name of others) {
      const ratios = cpu(name).map((ns, round) => ns / cpu(limit)[round]);
      console.log(`| ${name} | ${formatNs(median(cpu(name)))} | ${median(ratios).toFixed(2)}x | ${spread(ratios)} | ${formatNs(wall(name))} |`);
    }
    console.log('\nTarget: readU32(address, { pid }) within 1.2x of the C loop.');
    const rows = symbolRows(child);
    console.log('\nModules and symbols of the same child (wall clock, median):\n');
    console.log('| what | value | note |');
    console.log('|---|---|---|');
    for (const row of rows) console.log(`| ${row.what} | ${row.value} ${row.unit} | ${row.note} |`);
  } finally {
    await child.stop();
  }
  if (sink === 0.5) console.log(sink);  // keeps the checksum alive
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
