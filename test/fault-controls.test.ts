// A recovered fault leaves the thread as sigreturn would: its floating-point controls and, where protection keys
// are on, its rights (PKRU). Leaving the handler without sigreturn (the fast exit, x86-64) restores them by hand,
// so every case runs both ways out of the handler; the fast exit's cases skip where the addon has none
// (binding.machine.fastExit), never by the architecture's name.
import * as fs from 'node:fs';

import { binding } from '../lib/common/native';
import { testNeeding } from './helpers/capabilities';
import { runChild } from './helpers/child';
import { buildFixture } from './helpers/native-fixture';

const WAYS_OUT = [
  ['the fast exit', true],
  ['sigreturn', false],
] as const;

const shadowStack = /^x86_Thread_features:.*\bshstk\b/m.test(fs.readFileSync('/proc/self/status', 'utf8'));
/** Why this processor has no way out of the handler but sigreturn (the addon's machine.fastExit), or null. */
const noFastExit = binding.machine.fastExit ? null : 'the addon has no fast exit on this processor (machine.fastExit is false): every handler leaves by sigreturn';
const fastExitMissing = noFastExit ?? (shadowStack ? 'a shadow stack is enabled, which keeps the handler\'s frame' : null);

afterEach(() => binding._setGuardFastExit(true));

function expectControlsKept(fast: boolean): void {
  binding._setGuardFastExit(fast);
  const { recovered, set, after } = binding._recoverOneFault();
  expect(recovered).toBe(true);
  expect(after).toEqual(set);
}

testNeeding(noFastExit)('after a fault recovered by the fast exit, the thread has the controls it had before', () => expectControlsKept(true));

test('after a fault recovered by sigreturn, the thread has the controls it had before', () => expectControlsKept(false));

testNeeding(fastExitMissing)('the fast exit is possible in this process: the install proved it keeps the controls', () => {
  expect(binding._recoverOneFault().fastExitPossible).toBe(true);
});

interface ProtectionKeys {
  allocate(): number;
  free(key: number): number;
}

/** Why this process cannot use protection keys, or null when pkey_alloc gives one. */
const protectionKeysMissing: string | null = (() => {
  const keys = require(buildFixture('protection-keys')) as ProtectionKeys;
  const key = keys.allocate();
  if (key < 0) return `pkey_alloc fails here (errno ${-key}): no protection keys in this CPU or kernel`;
  keys.free(key);
  return null;
})();

testNeeding(protectionKeysMissing).each(WAYS_OUT)('a process that uses pkey_mprotect keeps its rights across a fault recovered by %s', (_way, fast) => {
  const result = runChild(`
const { binding } = require(${JSON.stringify(require.resolve('../dist/common/native'))});
const keys = require(${JSON.stringify(buildFixture('protection-keys'))});
binding._setGuardFastExit(${fast});
const key = keys.allocate();
const page = keys.taggedPage(key);
keys.denyWrite(key);
const before = keys.pkru();
const recovered = memprobe.safeRead(memprobe.mapPages(1, 'none').address, 8).fault.code;
const after = keys.pkru();
const write = memprobe.safeMemcpy(page, Buffer.alloc(1), 1);
const read = memprobe.safeRead(page, 1).ok;
console.log(JSON.stringify({ recovered, same: before === after, write: write.ok ? 'written' : write.fault.code, read }));
keys.store(page);`);
  // The last, unguarded store meets the key's write-disable as it would without memprobe: the process dies.
  expect(result).toMatchObject({ signal: 'SIGSEGV' });
  expect(JSON.parse(result.stdout)).toEqual({ recovered: 'SEGV_ACCERR', same: true, write: 'SEGV_PKUERR', read: true });
});
