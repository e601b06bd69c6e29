'use strict';
// The other process of bench/signals.js. Usage: node signals-sender.js <target pid> <flood|pingpong> <signal> <count> <value|novalue>
// flood: sends `count` signals as fast as it can (sigqueue values 0..count-1, or kill), retrying while the
// target's real-time queue is full. pingpong: sends one, then waits for a byte on stdin (the receiver's ack).
// Prints its send times (process.hrtime, CLOCK_MONOTONIC: comparable across processes) as JSON.
const fs = require('node:fs');
const { sendSignal } = require('..');

const [target, mode, signal, countText, valueMode] = process.argv.slice(2);
const pid = Number(target);
const count = Number(countText);
const withValue = valueMode === 'value';
let eagain = 0;

function send(i) {
  for (;;) {
    try {
      sendSignal(pid, signal, withValue ? { value: i } : undefined);
      return;
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      eagain++;
    }
  }
}

if (mode === 'flood') {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) send(i);
  const end = process.hrtime.bigint();
  process.stdout.write(JSON.stringify({ start: String(start), end: String(end), eagain }));
} else {
  const sends = [];
  const ack = Buffer.alloc(1);
  for (let i = 0; i < count; i++) {
    sends.push(String(process.hrtime.bigint()));
    send(i);
    if (fs.readSync(0, ack, 0, 1, null) !== 1) throw new Error('the receiver went away');
  }
  process.stdout.write(JSON.stringify({ sends, eagain }));
}
