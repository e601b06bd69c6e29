'use strict';
// npm run bench:signals: signals from another process to a listener, measured side by side in rounds.
//
// What is stable, and what the README reports: real-time signals (sigqueue with values 0…N-1) queue in the
// kernel, so every one of a flood arrives; the benchmark checks that each round delivered all of them, in order,
// and compares memprobe's watcher with the plainest C receiver (one thread, sigwaitinfo; bench/native/
// sigwait-receiver.c, built here with cc) in the same run: signals per second for a flood, and the latency of
// one signal at a time (the next sent after the receiver acknowledged it).
// What is not: standard signals (SIGUSR2 by kill) merge while one is pending, so how many of a flood arrive
// measures how the scheduler happened to run the sender and the receiver; for those only the spread over the
// rounds is printed (and the latency of one at a time, which merging does not touch, with its ratio to
// process.on in the same round).
// Both delivery paths are measured in each round (lib/signals/watch.ts, setSignalDelivery): 'thread' (the
// dedicated thread reads, then wakes the event loop: two wake-ups) and 'loop' (the event loop reads a signalfd of
// its own: one wake-up).
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { signalNumber, waitForSignal, watchSignals } = require('..');
const { setSignalDelivery } = require('../dist/signals/watch');
const { machine } = require('./stats');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const FLOOD = Number(process.env.BENCH_SIGNALS || 200_000);
const PINGS = Number(process.env.BENCH_PINGS || 2000);
const SENDER = path.join(__dirname, 'signals-sender.js');
const RECEIVER_SOURCE = path.join(__dirname, 'native', 'sigwait-receiver.c');
const RECEIVER = path.join(__dirname, 'build', 'sigwait-receiver');
const RT = 'SIGRTMIN+6';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `median (min–max)` of values, each shown by `format`. */
function spread(values, format) {
  return `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
}

const rate = (value) => Math.round(value).toLocaleString('en-US');
const micros = (ns) => `${(ns / 1000).toFixed(1)} µs`;
const ratio = (value) => `${value.toFixed(2)}x`;
const percent = (value) => `${(100 * value).toFixed(1)} %`;
const quiet = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The C receiver, compiled when missing or older than its source. */
function buildReceiver() {
  if (fs.existsSync(RECEIVER) && fs.statSync(RECEIVER).mtimeMs >= fs.statSync(RECEIVER_SOURCE).mtimeMs) return;
  fs.mkdirSync(path.dirname(RECEIVER), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', RECEIVER, RECEIVER_SOURCE], { stdio: 'inherit' });
}

/** Starts the sender aimed at `pid`; resolves with its JSON report when it exits. `onSpawn` gets the child. */
function runSender(pid, args, onSpawn = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SENDER, String(pid), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(output)) : reject(new Error(`sender exited with ${status}`))));
    onSpawn(child);
  });
}

/**
 * Subscribes `onSignal` in this process; returns the function that unsubscribes. kind: 'process.on', or
 * '<watch|wait>-<thread|loop>': a watcher, or waitForSignal awaited again from each result, with that delivery.
 */
function subscribe(kind, signal, onSignal) {
  if (kind === 'process.on') {
    process.on(signal, onSignal);
    return () => process.removeListener(signal, onSignal);
  }
  const [api, mode] = kind.split('-');
  setSignalDelivery(mode);
  if (api === 'wait') {
    // Awaited again from each result, as a loop over waitForSignal would; the unsubscriber sends one last signal
    // to end it (an AbortSignal would add its listener to every wait).
    let open = true;
    const loop = (async () => {
      while (open) {
        const info = await waitForSignal([signal]);
        if (open) onSignal(info);
      }
    })();
    return () => {
      open = false;
      process.kill(process.pid, signal);
      return loop;
    };
  }
  const watcher = watchSignals([signal], (info) => onSignal(info)).ref();
  return () => watcher.close();
}

/** A flood into this process: signals/s reaching the listener, the share of those sent, how many out of order. */
async function floodHere(kind, signal, withValue) {
  let received = 0;
  let last = 0n;
  let outOfOrder = 0;
  const unsubscribe = subscribe(kind, signal, (info) => {
    if (withValue && info.value !== received) outOfOrder++;
    received++;
    last = process.hrtime.bigint();
  });
  const report = await runSender(process.pid, ['flood', signal, String(FLOOD), withValue ? 'value' : 'novalue']);
  // Whatever is still on its way: real-time ones all arrive; merged standard ones never will.
  for (let seen = -1; seen !== received; ) {
    seen = received;
    await quiet(100);
  }
  await unsubscribe();
  return { rate: received / (Number(last - BigInt(report.start)) / 1e9), delivered: received / FLOOD, outOfOrder };
}

/** One signal at a time into this process: the median latency from just before the send to the listener. */
async function pingpongHere(kind, signal, withValue) {
  const receivedAt = [];
  let child;
  const unsubscribe = subscribe(kind, signal, () => {
    receivedAt.push(process.hrtime.bigint());
    child.stdin.write('k');
  });
  const report = await runSender(process.pid, ['pingpong', signal, String(PINGS), withValue ? 'value' : 'novalue'], (spawned) => (child = spawned));
  await unsubscribe();
  if (receivedAt.length !== PINGS) throw new Error(`${kind}: ${receivedAt.length} of ${PINGS} pings arrived`);
  return median(report.sends.map((sent, i) => Number(receivedAt[i] - BigInt(sent))));
}

/** The C receiver in `mode`; resolves with its report and the sender's once both are done. */
function runReceiver(mode, count) {
  return new Promise((resolve, reject) => {
    const receiver = spawn(RECEIVER, [String(signalNumber(RT)), mode, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    let sending;
    receiver.on('error', reject);
    receiver.stderr.on('data', (chunk) => {
      errors += chunk;
      if (sending === undefined && errors.startsWith('ready\n')) {
        sending = runSender(receiver.pid, [mode, RT, String(count), 'value'], (sender) => receiver.stdout.on('data', (acks) => sender.stdin.write(acks)));
        sending.catch(reject);
      }
    });
    receiver.on('close', async (status) => {
      if (status !== 0 || sending === undefined) return reject(new Error(`sigwait-receiver exited with ${status}: ${errors}`));
      resolve({ receiver: JSON.parse(errors.slice('ready\n'.length)), sender: await sending });
    });
  });
}

async function floodC() {
  const { receiver, sender } = await runReceiver('flood', FLOOD);
  return { rate: receiver.received / (Number(BigInt(receiver.last) - BigInt(sender.start)) / 1e9), delivered: receiver.received / FLOOD, outOfOrder: receiver.outOfOrder };
}

async function pingpongC() {
  const { receiver, sender } = await runReceiver('pingpong', PINGS);
  if (receiver.received !== PINGS) throw new Error(`C receiver: ${receiver.received} of ${PINGS} pings arrived`);
  return median(sender.sends.map((sent, i) => Number(BigInt(receiver.times[i]) - BigInt(sent))));
}

const REALTIME = [
  { name: 'C sigwaitinfo receiver (floor)', flood: floodC, pingpong: pingpongC },
  { name: "memprobe watcher, JavaScript listener, delivery 'thread'", flood: () => floodHere('watch-thread', RT, true), pingpong: () => pingpongHere('watch-thread', RT, true) },
  { name: "memprobe watcher, JavaScript listener, delivery 'loop'", flood: () => floodHere('watch-loop', RT, true), pingpong: () => pingpongHere('watch-loop', RT, true) },
];
// The first is the reference of the ratio column. waitForSignal is measured one at a time only (a flood
// between two waits is what a watcher is for).
const STANDARD = [
  { name: "process.on('SIGUSR2')", kind: 'process.on', flood: true },
  { name: "memprobe watcher, delivery 'thread'", kind: 'watch-thread', flood: true },
  { name: "memprobe watcher, delivery 'loop'", kind: 'watch-loop', flood: true },
  { name: "waitForSignal, delivery 'thread'", kind: 'wait-thread', flood: false },
  { name: "waitForSignal, delivery 'loop'", kind: 'wait-loop', flood: false },
];

async function main() {
  buildReceiver();
  const rt = REALTIME.map(() => ({ rate: [], delivered: [], outOfOrder: [], latency: [] }));
  const std = STANDARD.map(() => ({ rate: [], delivered: [], latency: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, variant] of REALTIME.entries()) {
      const result = await variant.flood();
      rt[i].rate.push(result.rate);
      rt[i].delivered.push(result.delivered);
      rt[i].outOfOrder.push(result.outOfOrder);
      rt[i].latency.push(await variant.pingpong());
    }
    for (const [i, variant] of STANDARD.entries()) {
      if (variant.flood) {
        const result = await floodHere(variant.kind, 'SIGUSR2', false);
        std[i].rate.push(result.rate);
        std[i].delivered.push(result.delivered);
      }
      std[i].latency.push(await pingpongHere(variant.kind, 'SIGUSR2', false));
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  }
  const floor = rt[0];
  const perRound = (values, base) => values.map((value, round) => value / base[round]);
  console.log(`Machine: ${machine()}.\n`);
  console.log(`Real-time signals (${RT}, sigqueue with values) from another process (a Node sender), ${FLOOD.toLocaleString('en-US')} per flood, ${PINGS} one at a time; ${ROUNDS} rounds, median (min–max); ratios are per round.\n`);
  console.log('| receiver | delivered, every round | out of order | signals/s | vs C sigwaitinfo | one at a time (latency) | vs C sigwaitinfo |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [i, variant] of REALTIME.entries()) {
    const s = rt[i];
    const all = s.delivered.every((share) => share === 1) ? '100 %' : `${percent(Math.min(...s.delivered))} at worst`;
    console.log(`| ${variant.name} | ${all} | ${s.outOfOrder.reduce((a, b) => a + b, 0)} | ${spread(s.rate, rate)} | ${spread(perRound(s.rate, floor.rate), ratio)} | ` +
      `${spread(s.latency, micros)} | ${spread(perRound(s.latency, floor.latency), ratio)} |`);
  }
  console.log(`\nStandard signals (SIGUSR2 by kill, ${FLOOD.toLocaleString('en-US')} per flood): instances sent while one is pending merge, so the share that arrives is scheduling luck; spread over ${ROUNDS} rounds.\n`);
  console.log('| listener | of those sent | signals/s | one at a time (latency) | vs process.on | vs C sigwaitinfo (RT) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [i, variant] of STANDARD.entries()) {
    const s = std[i];
    const flood = variant.flood ? `${spread(s.delivered, percent)} | ${spread(s.rate, rate)}` : '– | –';
    console.log(`| ${variant.name} | ${flood} | ${spread(s.latency, micros)} | ${spread(perRound(s.latency, std[0].latency), ratio)} | ${spread(perRound(s.latency, floor.latency), ratio)} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
