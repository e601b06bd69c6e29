// The public face of lib/common/: the shapes every concern shares (addresses, copy results, faults), the one error
// class for failed system calls, and address formatting. The native loader and argument checks stay internal.
export type { Address, CopyFaulted, CopyOptions, CopyResult, CopySucceeded, Fault, FaultCode, Memory, Protection, ReadOptions, ReadResult, ReadValue, Strategy, ValueFaulted, ValueRead } from './types';
export { SystemError } from './errors';
export { formatAddress } from './format';
