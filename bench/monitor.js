'use strict';
// npm run bench:monitor: the access monitor's first-touch report against its yardstick, in alternating rounds of
// one run (the machine is shared and absolute speed varies; the ratios are what to read):
//   C:        an SA_SIGINFO handler that mprotects the faulting page back and returns (bench/native/first_touch.cc),
//             over PAGES PROT_NONE pages, one load per page from a C loop;
//   memprobe: monitorAccess over the same number of pages, the same C loop of loads: the guard's handler claims
//             each fault by address, restores the page, queues the report and wakes the loop;
//   both timed on the thread's CPU clock (the handlers run on it; what others ran meanwhile does not count);
//   and memprobe end to end: from the first load until onAccess has run for every page (the drain on the loop
//   included), on the wall clock against C's loads on the wall clock, so its ratio also counts what others ran.
// Goal: the handler's cost per page within 1.5x of C's.
const { mapPages, monitorAccess, pageSize } = require('..');
const { loadBenchAddon } = require('./native-build');
const { formatNs, machine, median, spread } = require('./stats');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const PAGES = Number(process.env.BENCH_PAGES || 2048);  // two VMAs per touched page: far below vm.max_map_count

const addon = loadBenchAddon('memprobe_bench_first_touch');

function cRound() {
  const pages = mapPages(PAGES);
  try {
    return addon.cFirstTouch(pages.address, PAGES, pageSize);
  } finally {
    pages.unmap();
  }
}

async function memprobeRound() {
  const pages = mapPages(PAGES);
  let reported = 0;
  let allReported;
  const done = new Promise((resolve) => { allReported = resolve; });
  const monitor = monitorAccess([{ start: pages.address, end: pages.address + BigInt(PAGES * pageSize) }], () => {
    if (++reported === PAGES) allReported(process.hrtime.bigint());
  });
  const armed = process.hrtime.bigint();
  try {
    const loads = addon.touchPages(pages.address, PAGES, pageSize);
    const end = await done;
    return { loads: loads[0], endToEnd: Number(end - armed) };
  } finally {
    monitor.stop();
    pages.unmap();
  }
}

async function main() {
  console.log(`npm run bench:monitor: ${ROUNDS} rounds of ${PAGES} pages (${pageSize} B), alternating`);
  console.log(`machine: ${machine()}\n`);
  const c = [];
  const cWall = [];
  const ours = [];
  const endToEnd = [];
  await memprobeRound();  // warm-up: code paths, the bench addon
  cRound();
  for (let round = 0; round < ROUNDS; round++) {
    const yardstick = () => {
      const [cpu, wall] = cRound();
      c.push(cpu);
      cWall.push(wall);
    };
    if (round % 2 === 0) yardstick();
    const measured = await memprobeRound();
    if (round % 2 === 1) yardstick();
    ours.push(measured.loads);
    endToEnd.push(measured.endToEnd);
  }
  const perPage = (ns) => formatNs(ns / PAGES);
  const row = (what, samples, against) => {
    const ratios = samples.map((ns, round) => ns / against[round]);
    console.log(`${what.padEnd(56)} ${perPage(median(samples)).padStart(9)}/page  ${median(ratios).toFixed(2)}x C (${spread(ratios)})`);
    return median(ratios);
  };
  console.log(`${'C: mprotect-and-return handler, CPU'.padEnd(56)} ${perPage(median(c)).padStart(9)}/page`);
  const ratio = row('memprobe: the loads (handler, queue, wake-up), CPU', ours, c);
  console.log(`${'C: mprotect-and-return handler, wall clock'.padEnd(56)} ${perPage(median(cWall)).padStart(9)}/page`);
  row('memprobe: end to end (until onAccess ran), wall clock', endToEnd, cWall);
  console.log(`\ngoal: the loads within 1.5x of C: ${ratio <= 1.5 ? 'met' : 'NOT met'} (median ${ratio.toFixed(2)}x)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
