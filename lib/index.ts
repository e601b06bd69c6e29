// memprobe: touch raw process memory from Node.js without taking the process down.
import { keepGuardOnTop } from './guard';

export type { Address, CopyFaulted, CopyOptions, CopyResult, CopySucceeded, Fault, FaultCode, Memory, Protection, ReadOptions, ReadResult, ReadValue, Strategy, ValueFaulted, ValueRead } from './types';
export { SystemError } from './errors';
export { formatAddress } from './format';
export { addressOf, pageSize, safeMemcpy, safeMemcpyAsync, safeRead, safeReadAsync } from './memory';
export { mapFile, mapPages, type MapFileOptions, type Mapping } from './pages';
export { guardStatus, type GuardStatus } from './guard';
export { enableCrashReports, type CrashReportOptions } from './crash-reports';
export {
  isReadable,
  probe,
  ProbeCode,
  probeMany,
  probeManyAsync,
  readMaps,
  scanReadable,
  type MapEntry,
  type PageState,
  type ProbeOptions,
  type Range,
  type ReadMapsOptions,
  type ScanOptions,
} from './probe';
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
} from './read-values';
export { readCString, readUtf16, readUtf8, type StringRead, type StringReadOptions } from './read-strings';
export { scanMemory, scanMemoryIter, type ScanMemoryOptions } from './scan-memory';
export { fuzz, type FuzzApi, type FuzzCaseKind, type FuzzMismatch, type FuzzOptions, type FuzzOutcome, type FuzzReport, type MapsVerdict } from './fuzz';
export { signalName, signalNumber, type RealtimeSignalName, type SignalName, type StandardSignalName } from './signal-names';

export {
  blockedSignals,
  blockSignals,
  sendSignal,
  signalThread,
  threadSignalMasks,
  unblockSignals,
  watchSignals,
  type SignalCode,
  type SignalInfo,
  type SignalWatcher,
  type ThreadMask,
  type WatchOptions,
} from './signals';
export { waitForSignal, type WaitForSignalOptions } from './wait-for-signal';
export { maskingDemo, type MaskingDemoResult, type MaskingDemoThread, type ThreadDirectedOutcome } from './masking-demo';

keepGuardOnTop();
