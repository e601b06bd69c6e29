// memprobe: touch raw process memory and POSIX signals from Node.js without taking the process down.
// Each folder of lib/ is one concern with an index.ts as its public face; this file only gathers them.
import { keepGuardOnTop } from './memory/guard';

export * from './common';
export * from './memory';
export * from './probe';
export * from './inspect';
export * from './signals';
export * from './symbols';
export * from './watch';

keepGuardOnTop();
