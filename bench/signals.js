'use strict';
// npm run bench:signals: signals from another process to a JavaScript listener, memprobe's watcher against
// process.on('SIGUSR2'), measured side by side in rounds (medians; ratios are what stays stable).
//   throughput: another process sends as fast as it can; signals/s that reach the listener, and how many of
//               those sent arrived (standard signals merge while pending; real-time ones queue).
//   latency:    one signal at a time, the next sent after the listener acknowledged (a byte on a pipe); the
//               time from just before the send to the listener, median.
const { spawn } = require('node:child_process');
const path = require('node:path');

const { watchSignals } = require('..');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const FLOOD = Number(process.env.BENCH_SIGNALS || 200_000);
const PINGS = Number(process.env.BENCH_PINGS || 2000);
const SENDER = path.join(__dirname, 'signals-sender.js');
const RT = 'SIGRTMIN+6';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Starts the sender; resolves with its JSON report when it exits. `onSpawn` gets the child (for acks). */
function runSender(args, onSpawn = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SENDER, String(process.pid), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(output)) : reject(new Error(`sender exited with ${status}`))));
    onSpawn(child);
  });
}

/** Subscribes `onSignal` with the given mechanism; returns the function that unsubscribes. */
function subscribe(kind, signal, onSignal) {
  if (kind === 'process.on') {
    process.on(signal, onSignal);
    return () => process.removeListener(signal, onSignal);
  }
  const watcher = watchSignals([signal], (info) => onSignal(info)).ref();
  return () => watcher.close();
}

const quiet = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function flood(kind, signal, withValue) {
  let received = 0;
  let last = 0n;
  let outOfOrder = 0;
  const unsubscribe = subscribe(kind, signal, (info) => {
    if (withValue && info.value !== received) outOfOrder++;
    received++;
    last = process.hrtime.bigint();
  });
  const report = await runSender(['flood', signal, String(FLOOD), withValue ? 'value' : 'novalue']);
  // Whatever is still on its way: real-time ones all arrive; merged standard ones never will.
  for (let seen = -1; seen !== received; ) {
    seen = received;
    await quiet(100);
  }
  unsubscribe();
  const seconds = Number(last - BigInt(report.start)) / 1e9;
  return { rate: received / seconds, delivered: received / FLOOD, outOfOrder, eagain: report.eagain };
}

async function pingpong(kind, signal, withValue) {
  const receivedAt = [];
  let child;
  const unsubscribe = subscribe(kind, signal, () => {
    receivedAt.push(process.hrtime.bigint());
    child.stdin.write('k');
  });
  const report = await runSender(['pingpong', signal, String(PINGS), withValue ? 'value' : 'novalue'], (spawned) => (child = spawned));
  unsubscribe();
  if (receivedAt.length !== PINGS) throw new Error(`${kind}: ${receivedAt.length} of ${PINGS} pings arrived`);
  return { latency: median(report.sends.map((sent, i) => Number(receivedAt[i] - BigInt(sent)))) };
}

const VARIANTS = [
  { name: `memprobe watcher, ${RT} (sigqueue)`, kind: 'memprobe', signal: RT, withValue: true },
  { name: 'memprobe watcher, SIGUSR2 (kill)', kind: 'memprobe', signal: 'SIGUSR2', withValue: false },
  { name: "process.on('SIGUSR2') (kill)", kind: 'process.on', signal: 'SIGUSR2', withValue: false },
];

async function main() {
  const samples = VARIANTS.map(() => ({ rate: [], delivered: [], latency: [], outOfOrder: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, variant] of VARIANTS.entries()) {
      const result = await flood(variant.kind, variant.signal, variant.withValue);
      samples[i].rate.push(result.rate);
      samples[i].delivered.push(result.delivered);
      samples[i].outOfOrder += result.outOfOrder;
      samples[i].latency.push((await pingpong(variant.kind, variant.signal, variant.withValue)).latency);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  }
  const base = samples[2];
  const rows = VARIANTS.map((variant, i) => {
    const s = samples[i];
    const rateRatio = median(s.rate.map((rate, round) => rate / base.rate[round]));
    const latencyRatio = median(s.latency.map((latency, round) => latency / base.latency[round]));
    return `| ${variant.name} | ${Math.round(median(s.rate)).toLocaleString('en-US')} | ${(100 * median(s.delivered)).toFixed(1)} % | ${s.outOfOrder} | ` +
      `${(median(s.latency) / 1000).toFixed(1)} µs | ${rateRatio.toFixed(2)}x | ${latencyRatio.toFixed(2)}x |`;
  });
  console.log(`Signals from another process to a JavaScript listener: ${FLOOD.toLocaleString('en-US')} sent per flood, ${PINGS} pings, ${ROUNDS} rounds (medians), Node ${process.version}.\n`);
  console.log('| listener | signals/s reaching it | of those sent | out of order | latency (median) | signals/s vs process.on | latency vs process.on |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
