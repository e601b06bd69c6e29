// Modules and symbols while things change under them: a target that exits between the reading of its maps and the
// opening of its mapped files (its ESRCH, not symbol: null), and an ELF object mapped into this process, unmapped,
// and mapped again elsewhere (modules and symbolize follow it: no answer is kept from an old mapping).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { findSymbol, mapFile, mapPages, modules, pageSize, symbolize, SystemError } from '../lib';
import * as loadedModulesOf from '../lib/symbols/modules';
import { testNeeding } from './helpers/capabilities';
import { buildSharedLibrary, compilerMissing, LIBRARY_FILE, LIBRARY_FUNCTION } from './helpers/shared-library';
import { startSymbolsTarget, stopSymbolsTargets } from './helpers/symbols-target';

afterAll(stopSymbolsTargets);
afterEach(() => jest.restoreAllMocks());

function processState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat[stat.lastIndexOf(')') + 2];
}

/** What `call` throws, as SystemError's fields, or what it returns. */
function outcome(call: () => unknown): unknown {
  try {
    return { returned: call() };
  } catch (error) {
    const e = error as SystemError;
    return { isSystemError: e instanceof SystemError, code: e.code, syscall: e.syscall, pid: e.pid };
  }
}

describe('a target that exits after its maps are read, before its files are opened', () => {
  // The step is hooked: the maps are read while the fixture runs, then it is killed and left a zombie (nothing reaps
  // it until this synchronous call returns to the event loop), so opening its executable finds no map_files and no
  // root. The executable is a fresh copy, so no symbol table of it is cached from before.
  function killedAfterMaps(pid: number): void {
    const original = loadedModulesOf.loadedModules;
    jest.spyOn(loadedModulesOf, 'loadedModules').mockImplementationOnce((target) => {
      const loaded = original(target);
      process.kill(pid, 'SIGKILL');
      while (processState(pid) !== 'Z');   // the kill is delivered at once; the state says when the exit is done
      return loaded;
    });
  }

  let directory: string;
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-symbols-exit-'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  test.each([
    ['symbolize', (pid: number, address: bigint) => symbolize(address, { pid })],
    ['symbolize, an array', (pid: number, address: bigint) => symbolize([address], { pid })],
    // In the executable alone: across all modules, the vDSO's image (read from memory) would say ESRCH anyway.
    ['findSymbol', (pid: number) => findSymbol('memprobe_target_add', { pid, module: 'target-findSymbol' })],
  ])('%s throws its ESRCH', async (name, call) => {
    const target = await startSymbolsTarget('pie', { copyTo: path.join(directory, `target-${name.replace(/\W+/g, '-')}`) });
    const address = target.report.exported.memprobe_target_add;
    killedAfterMaps(target.pid);
    expect(outcome(() => call(target.pid, address))).toEqual({ isSystemError: true, code: 'ESRCH', syscall: 'process_vm_readv', pid: target.pid });
    expect(await target.stop()).toEqual({ code: null, signal: 'SIGKILL' });
  });

  test('the same hook around a target that lives: the symbol is found (the hook alone changes nothing)', async () => {
    const target = await startSymbolsTarget('pie', { copyTo: path.join(directory, 'target-lives') });
    const address = target.report.exported.memprobe_target_add;
    const original = loadedModulesOf.loadedModules;
    const spy = jest.spyOn(loadedModulesOf, 'loadedModules').mockImplementationOnce((pid) => original(pid));
    expect(symbolize(address, { pid: target.pid })).toMatchObject({ symbol: 'memprobe_target_add', symbolOffset: 0n });
    expect(spy).toHaveBeenCalledTimes(1);
    await target.stop();
  });
});

describe('an ELF object mapped, unmapped and mapped again elsewhere in this process', () => {
  testNeeding(compilerMissing)('modules and symbolize see it appear, disappear, and come back at the new base', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-symbols-remap-'));
    try {
      const file = fs.realpathSync(buildSharedLibrary(directory));
      const size = fs.statSync(file).size;
      const mine = () => modules().filter((m) => m.path === file);
      expect(mine()).toEqual([]);

      // Mapped whole from offset 0, as a loader maps an object's first segment: its header makes it a module.
      const first = mapFile(file, size);
      const [module] = mine();
      expect(module).toMatchObject({ name: LIBRARY_FILE, base: first.address });
      const at = findSymbol(LIBRARY_FUNCTION, { module: LIBRARY_FILE })!;
      const offset = at - first.address;
      expect(offset > 0n && at < module.end).toBe(true);
      expect(symbolize(at + 2n)).toEqual({ module: LIBRARY_FILE, offset: offset + 2n, symbol: LIBRARY_FUNCTION, symbolOffset: 2n });

      first.unmap();
      expect(mine()).toEqual([]);
      expect(symbolize(at + 2n)).toBeNull();
      expect(findSymbol(LIBRARY_FUNCTION)).toBeNull();

      // Something else takes the old place first, so the object comes back at another address.
      const blocker = mapPages(Math.ceil(size / pageSize));
      const second = mapFile(file, size);
      try {
        expect(second.address).not.toBe(first.address);
        expect(mine()).toEqual([{ ...module, base: second.address, end: module.end - first.address + second.address }]);
        expect(findSymbol(LIBRARY_FUNCTION)).toBe(second.address + offset);
        expect(symbolize(second.address + offset + 2n)).toEqual({ module: LIBRARY_FILE, offset: offset + 2n, symbol: LIBRARY_FUNCTION, symbolOffset: 2n });
        // The old address is no longer the object's, whatever holds it now.
        expect(symbolize(at + 2n)?.module === LIBRARY_FILE).toBe(false);
      } finally {
        second.unmap();
        blocker.unmap();
      }
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
