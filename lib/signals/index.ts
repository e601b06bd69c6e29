// The public face of lib/signals/: signals with their full siginfo, thread masks, names and the masking demo.
export { signalName, signalNumber, type RealtimeSignalName, type SignalName, type StandardSignalName } from './names';
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
} from './watch';
export { waitForSignal, type WaitForSignalOptions } from './wait-for-signal';
export { maskingDemo, type MaskingDemoResult, type MaskingDemoThread, type ThreadDirectedOutcome } from './masking-demo';
