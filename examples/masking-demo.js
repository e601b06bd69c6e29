'use strict';
// Which thread does the kernel pick for a signal? Run: node examples/masking-demo.js
//
// A signal sent to a process (kill) goes to ONE of its threads, any one that does not block it. A signal sent
// to a thread (tgkill, pthread_kill, raise) waits on that thread while the thread blocks it. memprobe's demo
// makes every thread of this process block a spare real-time signal except one demo thread, sends the signal
// both ways, and reports what the kernel did; then it puts everything back.
const { maskingDemo } = require('memprobe');

const demo = maskingDemo();
const [toBlocked, toOpen] = demo.threadDirected;
const openThreads = demo.threads.filter((thread) => !thread.blocksSignal).length;

console.log(`Demo signal: ${demo.signal}. The threads of this process and whether each blocks it:`);
for (const thread of demo.threads) {
  console.log(`  ${String(thread.tid).padEnd(8)} ${thread.name.padEnd(15)} ${thread.blocksSignal ? 'blocks it' : 'does NOT block it'}`);
}
console.log(`
1. kill(${process.pid}, ${demo.signal}) is process-directed: the kernel delivered it to ${demo.processDirected.deliveredTo}
   (${demo.processDirected.deliveredToName}), ${demo.processDirected.blockedThere ? 'which blocks it?!' : `one of the ${openThreads} thread(s) that do not block it`}. Had several threads not blocked it,
   any of them could have been picked: that is why a signal must be blocked on EVERY thread before one thread
   can wait for it with sigwaitinfo or a signalfd (what memprobe's watchSignals does).
2. tgkill to ${toBlocked.target} (${toBlocked.targetName}), which blocks it: ${toBlocked.handledBy === null ? 'no thread ran the handler' : `handled by ${toBlocked.handledBy}`},
   and it is ${toBlocked.pendingOnTarget ? '' : 'NOT '}pending on that thread. A thread-directed signal never moves to another thread.
3. tgkill to ${toOpen.target} (${toOpen.targetName}), which does not block it: handled there, by ${toOpen.handledBy}.
The pending one was discarded when the demo restored the signal's disposition: nothing was left behind.`);
