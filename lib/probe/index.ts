// The public face of lib/probe/: verdicts on addresses and ranges, the maps, and the fuzzer that checks the copy
// against them.
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
export { fuzz, type FuzzApi, type FuzzCaseKind, type FuzzMismatch, type FuzzOptions, type FuzzOutcome, type FuzzReport, type FuzzSample, type MapsVerdict } from './fuzz';
