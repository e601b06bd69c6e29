// The guard's state, and keeping it on top: a `process.on('SIGSEGV' | 'SIGBUS')` listener replaces the
// handler through libuv, and removing the last one resets it to SIG_DFL. Either would make the next guarded
// fault fatal, so the guard takes the signal back and chains to the newcomer.
import { binding } from './native';

export interface GuardStatus {
  /** the guard's handler is installed for both SIGSEGV and SIGBUS */
  installed: boolean;
  /** what faults that are not ours go to: 'default', 'ignore', 'node-wasm-trap', 'segfault-handler' or 'handler <symbol or address>' */
  previous: { SIGSEGV: string; SIGBUS: string };
  /** how many times the guard took a signal back from a handler installed over it */
  reasserted: number;
}

export function guardStatus(): GuardStatus {
  return binding.guardStatus();
}

function reassertOnFaultSignalListener(event: string | symbol): void {
  // libuv changes the disposition synchronously inside Node's own (earlier) newListener/removeListener hook.
  if (event === 'SIGSEGV' || event === 'SIGBUS') binding.reassertGuard();
}

export function keepGuardOnTop(): void {
  process.on('newListener', reassertOnFaultSignalListener);
  process.on('removeListener', reassertOnFaultSignalListener);
}
