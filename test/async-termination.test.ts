// Every asynchronous API under worker termination: terminating a worker whose work is still on the libuv threadpool
// must end the worker alone. Its environment is torn down while that work completes, when JavaScript may no longer
// run there; a completion that settles its promise anyway aborts the whole process (exit 134, "FATAL ERROR:
// Error::ThrowAsJavaScriptException napi_throw").
import { PACKAGE_ROOT, runChild } from './helpers/child';

/** Code a worker runs to put long work of one API on the threadpool (`m` is memprobe, `pid` this process). */
const QUEUE_WORK: Record<string, string> = {
  safeReadAsync: `
    const source = Buffer.alloc(4 << 20, 1);
    for (let i = 0; i < 4; i++) m.safeReadAsync(m.addressOf(source), 4 << 20);`,
  'safeReadAsync({ pid })': `
    const source = Buffer.alloc(4 << 20, 1);
    for (let i = 0; i < 4; i++) m.safeReadAsync(m.addressOf(source), 4 << 20, { pid });`,
  safeMemcpyAsync: `
    const source = Buffer.alloc(4 << 20, 1);
    for (let i = 0; i < 4; i++) m.safeMemcpyAsync(Buffer.alloc(4 << 20), m.addressOf(source), 4 << 20);`,
  probeManyAsync: `
    const addresses = new BigUint64Array(1 << 16).map((_, i) => BigInt(i) * 4096n);
    for (let i = 0; i < 4; i++) m.probeManyAsync(addresses);`,
  'probeManyAsync({ pid })': `
    const addresses = new BigUint64Array(1 << 14).map((_, i) => BigInt(i) * 4096n);
    for (let i = 0; i < 4; i++) m.probeManyAsync(addresses, { pid });`,
  scanMemoryIter: `
    const haystack = Buffer.alloc(8 << 20, 0x41);
    for (let i = 0; i < 4; i++) m.scanMemoryIter('41 41 41 41 41 41 41 42', { start: m.addressOf(haystack), end: m.addressOf(haystack) + (8n << 20n) }).next();`,
  'scanMemoryIter({ pid })': `
    const haystack = Buffer.alloc(4 << 20, 0x41);
    for (let i = 0; i < 4; i++) m.scanMemoryIter('41 41 41 41 41 41 41 42', { pid, start: m.addressOf(haystack), end: m.addressOf(haystack) + (4n << 20n) }).next();`,
};

const TERMINATIONS = 10;

describe('a worker terminated while its work is on the threadpool ends alone', () => {
  for (const [api, queue] of Object.entries(QUEUE_WORK)) {
    test(api, () => {
      // The worker queues its work and says so at once; the parent terminates it on that message, so the work is
      // still in flight (each job takes far longer than a message takes to arrive). Then this thread still works.
      const child = runChild(`
        const { Worker } = require('node:worker_threads');
        const code = 'const m = require(' + JSON.stringify(${JSON.stringify(PACKAGE_ROOT)}) + ');'
          + 'const pid = process.pid;'
          + ${JSON.stringify(queue)}
          + 'require("node:worker_threads").parentPort.postMessage("queued");';
        (async () => {
          for (let i = 0; i < ${TERMINATIONS}; i++) {
            const worker = new Worker(code, { eval: true });
            await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
            await worker.terminate();
          }
          const codes = await memprobe.probeManyAsync(new BigUint64Array([0n]));
          console.log('terminated ${TERMINATIONS} workers; then', codes[0] === memprobe.ProbeCode.unmapped ? 'unmapped' : codes[0]);
        })();`, { timeoutMs: 120_000 });
      expect({ status: child.status, signal: child.signal, stderr: child.stderr, stdout: child.stdout })
        .toEqual({ status: 0, signal: null, stderr: '', stdout: `terminated ${TERMINATIONS} workers; then unmapped\n` });
    }, 130_000);
  }
});
