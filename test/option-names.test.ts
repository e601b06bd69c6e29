// Every function that takes options refuses a name it does not know: in plain JavaScript a misspelled `{ PID: 1 }`
// must not silently read this process instead of that one. Each call also passes options that keep it short
// (a limit, one iteration, a timeout), so that a function which ignored the unknown name would still end.
import * as memprobe from '../lib';

const A = 0x1000n;

/** The error for the unknown option `name` of a function whose options are `accepted`. */
function unknownOption(name: string, accepted: string[]): Error {
  return expect.objectContaining<object>({
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
    message: `The "options" argument must be an object with no properties other than ${accepted.map((known) => `'${known}'`).join(', ')}. Received an object with the unknown property '${name}'`,
  });
}

const COPY = ['strategy', 'pid'];
const BYTE_ORDER = ['bigEndian', 'pid'];
const STRINGS = ['maxLength', 'pid'];
const PROBE = ['pid'];
const SCAN_MEMORY = ['start', 'end', 'pid', 'onProgress', 'limit'];

type Call = (options: object) => unknown;
const m = memprobe as unknown as Record<string, (...args: unknown[]) => unknown>;
const VALUE_KINDS = ['U8', 'U16', 'U32', 'U64', 'I8', 'I16', 'I32', 'I64', 'F32', 'F64', 'Pointer'];

const SYNC: Array<[string, Call, string[]]> = [
  ['safeMemcpy', (o) => memprobe.safeMemcpy(Buffer.alloc(8), A, 8, o), COPY],
  ['safeRead', (o) => memprobe.safeRead(A, 8, o), COPY],
  ...VALUE_KINDS.map((kind): [string, Call, string[]] => [`read${kind}`, (o) => m[`read${kind}`](A, o), BYTE_ORDER]),
  ...VALUE_KINDS.map((kind): [string, Call, string[]] => [`write${kind}`, (o) => m[`write${kind}`](A, 1, o), BYTE_ORDER]),
  ['readCString', (o) => memprobe.readCString(A, o), STRINGS],
  ['readUtf8', (o) => memprobe.readUtf8(A, 8, o), ['pid']],
  ['readUtf16', (o) => memprobe.readUtf16(A, o), STRINGS],
  ['hexdump', (o) => memprobe.hexdump(A, o), ['length', 'offset', 'ansi', 'pid']],
  ['probe', (o) => memprobe.probe(A, o), PROBE],
  ['isReadable', (o) => memprobe.isReadable(A, 1, o), PROBE],
  ['probeMany', (o) => memprobe.probeMany(new BigUint64Array([A]), o), PROBE],
  ['scanReadable', (o) => memprobe.scanReadable({ end: 0x10000n, ...o }), ['start', 'end', 'pid']],
  ['scanMemory', (o) => memprobe.scanMemory('00', { limit: 1, ...o }), SCAN_MEMORY],
  ['scanMemoryIter', (o) => memprobe.scanMemoryIter('00', o), SCAN_MEMORY],
  ['readMaps', (o) => memprobe.readMaps(undefined, o), ['encoding']],
  ['mapFile', (o) => memprobe.mapFile(__filename, 1, o), ['shared', 'writable']],
  ['enableCrashReports', (o) => memprobe.enableCrashReports(o), ['path']],
  ['watchSignals', (o) => memprobe.watchSignals(['SIGUSR2'], null, o), ['allowInspectorSignal']],
  ['sendSignal', (o) => memprobe.sendSignal(process.pid, 0, o), ['value']],
  ['trackWrites', (o) => memprobe.trackWrites({ start: A, end: A + BigInt(memprobe.pageSize) }, o), ['mechanism']],
  ['renderAddressSpace', (o) => memprobe.renderAddressSpace({ scan: [], ...o }), ['pid', 'scan', 'fuzz']],
  ['findModule', (o) => memprobe.findModule('libc.so.6', o), PROBE],
  ['findSymbol', (o) => memprobe.findSymbol('malloc', o), ['module', 'pid']],
  ['symbolize', (o) => memprobe.symbolize(A, o), PROBE],
  ['symbolize, an array', (o) => memprobe.symbolize([A, A], o), PROBE],
  ['parseAddress', (o) => memprobe.parseAddress('0x1000', o), PROBE],
  ['readPointerChain', (o) => memprobe.readPointerChain(A, [0], o), PROBE],
];

const ASYNC: Array<[string, Call, string[]]> = [
  ['safeMemcpyAsync', (o) => memprobe.safeMemcpyAsync(Buffer.alloc(8), A, 8, o), COPY],
  ['safeReadAsync', (o) => memprobe.safeReadAsync(A, 8, o), COPY],
  ['probeManyAsync', (o) => memprobe.probeManyAsync(new BigUint64Array([A]), o), PROBE],
  ['fuzz', (o) => memprobe.fuzz({ iterations: 1, ...o }), ['iterations', 'seed', 'threads', 'lengths', 'onProgress', 'signal', 'samples']],
  ['waitForSignal', (o) => memprobe.waitForSignal(['SIGUSR2'], { timeout: 1, ...o }), ['timeout', 'signal', 'allowInspectorSignal']],
];

test.each(SYNC)('%s refuses an unknown option name, naming it and the accepted ones', (_, call, accepted) => {
  expect(() => call({ PID: process.pid })).toThrow(unknownOption('PID', accepted));
  // A known name beside it does not make it pass.
  expect(() => call({ [accepted[0]]: undefined, PID: process.pid })).toThrow(unknownOption('PID', accepted));
});

test.each(ASYNC)('%s rejects an unknown option name, naming it and the accepted ones', async (_, call, accepted) => {
  await expect(call({ PID: process.pid })).rejects.toThrow(unknownOption('PID', accepted));
});
