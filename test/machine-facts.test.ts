// The addon's machine facts that tests and the fuzzer's model key on instead of the architecture's name
// (binding.machine): each one checked against what the process really does.
import { pageSize, safeRead } from '../lib';
import { binding } from '../lib/common/native';
import { MapsModel } from '../lib/probe/fuzz-model';

/** PROT_EXEC, from the addon's own protection values (rx without r). */
const PROT_EXEC = binding.protections.rx & ~binding.protections.r;

function withExecuteOnlyPage(use: (address: bigint) => void): void {
  const address = binding.mapAnonymous(pageSize, PROT_EXEC);
  try {
    use(address);
  } finally {
    binding.unmap(address, pageSize);
  }
}

test('a page mapped PROT_EXEC alone faults a load only where machine.executeOnlyPages says it may', () => {
  withExecuteOnlyPage((address) => {
    // Where the fact is false the load must succeed; where it is true it may fault, and then as a protection fault
    // (arm64 with EPAN: SEGV_ACCERR; x64: the execute-only protection key, SEGV_PKUERR). qemu-user reads it.
    const allowed = binding.machine.executeOnlyPages ? [null, 'SEGV_ACCERR', 'SEGV_PKUERR'] : [null];
    expect(allowed).toContain(safeRead(address, 1).fault?.code ?? null);
  });
});

test('the fuzzer\'s model calls a --x page uncertain where machine.executeOnlyPages says a load may fault, readable elsewhere', () => {
  withExecuteOnlyPage((address) => {
    const model = new MapsModel(pageSize);
    expect(model.verdict(address, 'signal')).toBe(binding.machine.executeOnlyPages ? 'uncertain' : 'readable');
  });
});

test('where machine.fastExit is false, the guard never finds the fast exit possible', () => {
  const { recovered, fastExitPossible } = binding._recoverOneFault();
  expect(recovered).toBe(true);
  expect({ fastExit: binding.machine.fastExit, fastExitPossible }).not.toEqual({ fastExit: false, fastExitPossible: true });
});
