// The public face of lib/inspect/: what a debugger does with memory (typed values, strings, patterns, hex dumps).
export { hexdump, type HexdumpOptions } from './hexdump';
export {
  readF32,
  readF64,
  readI16,
  readI32,
  readI64,
  readI8,
  readPointer,
  readU16,
  readU32,
  readU64,
  readU8,
  writeF32,
  writeF64,
  writeI16,
  writeI32,
  writeI64,
  writeI8,
  writePointer,
  writeU16,
  writeU32,
  writeU64,
  writeU8,
  type ByteOrderOptions,
} from './values';
export { readCString, readUtf16, readUtf8, type StringRead, type StringReadOptions, type Utf8ReadOptions } from './strings';
export { scanMemory, scanMemoryIter, type ScanMemoryOptions } from './scan-memory';
export { readPointerChain, type PointerChainRead } from './pointer-chain';
