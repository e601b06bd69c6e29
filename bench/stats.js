'use strict';
// What the benchmarks share to report rounds: the median, the spread of per-round ratios, a duration, and the
// machine they ran on.
const fs = require('node:fs');
const os = require('node:os');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** 'min–max' of ratios. */
function spread(values) {
  return `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
}

function formatNs(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** One line: processors, kernel, Node, protection keys, and the load average (the machine may be shared). */
function machine() {
  const cpus = os.cpus();
  const flags = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m) || ['', ''])[1].split(/\s+/);
  const keys = flags.includes('ospke') ? 'on (OSPKE)' : flags.includes('pku') ? 'in the CPU, off in the kernel' : 'off';
  return `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Linux ${os.release()}, Node ${process.versions.node}, ` +
    `protection keys ${keys}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

module.exports = { formatNs, machine, median, spread };
