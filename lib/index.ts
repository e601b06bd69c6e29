// memprobe: touch raw process memory from Node.js without taking the process down.
import { keepGuardOnTop } from './guard';

export type { Address, CopyOptions, CopyResult, Fault, FaultCode, Memory, Protection, ReadOptions, ReadResult, Strategy } from './types';
export { SystemError } from './errors';
export { addressOf, pageSize, safeMemcpy, safeMemcpyAsync, safeRead, safeReadAsync } from './memory';
export { mapFile, mapPages, type MapFileOptions, type Mapping } from './pages';
export { guardStatus, type GuardStatus } from './guard';

keepGuardOnTop();
