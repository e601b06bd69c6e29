// Modules, symbols and addresses of another process, checked against what a running C program says about itself
// (&symbol, dladdr(), getauxval) and what readelf and nm say about its files: the fixture in four variants, PIE
// and non-PIE, with .symtab and stripped to .dynsym. Then the same lookups in this process.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  findModule,
  findSymbol,
  modules,
  pageSize,
  parseAddress,
  readCString,
  readF64,
  readPointerChain,
  readU32,
  readU64,
  readUtf16,
  readUtf8,
  symbolize,
  SystemError,
  writeU64,
  type Module,
} from '../lib';
import {
  buildSymbolsTargets,
  nmSymbols,
  readelfBuildId,
  readelfFirstLoad,
  startSymbolsTarget,
  startZombieSymbolsTarget,
  stopSymbolsTargets,
  SYMBOLS_TARGET_VARIANTS,
  toolAvailable,
  type SymbolsTarget,
  type SymbolsTargetReport,
} from './helpers/symbols-target';

const READELF = toolAvailable('readelf');
const NM = toolAvailable('nm');
const withReadelf = READELF ? test : test.skip;
const withReadelfAndNm = READELF && NM ? test : test.skip;
const READELF_MISSING = READELF ? '' : ' (skipped: readelf is not installed)';
const NM_MISSING = READELF && NM ? '' : ' (skipped: nm or readelf is not installed)';

const P = BigInt(pageSize);

/** The code and message of what `run` throws. */
function thrown(run: () => unknown): { name: string; code: unknown; message: string } {
  try {
    run();
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return { name: e.constructor.name, code: e.code, message: e.message };
  }
  throw new Error('expected a throw');
}

/** The lines of /proc/<pid>/maps that name something (a file, [heap], [vdso]…): range, offset, inode and path. */
function mapsOf(pid: number): Array<{ start: bigint; end: bigint; offset: bigint; inode: string; path: string }> {
  return fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ (\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[5] !== '')
    .map(([, start, end, offset, inode, file]) => ({ start: BigInt(`0x${start}`), end: BigInt(`0x${end}`), offset: BigInt(`0x${offset}`), inode, path: file }));
}

afterAll(stopSymbolsTargets);

describe.each(SYMBOLS_TARGET_VARIANTS)('the %s fixture, from outside', (variant) => {
  const stripped = variant.endsWith('-stripped');
  let target: SymbolsTarget;
  let r: SymbolsTargetReport;
  let pid: number;
  let exeName: string;

  beforeAll(async () => {
    target = await startSymbolsTarget(variant);
    r = target.report;
    pid = target.pid;
    exeName = path.basename(target.path);
  });

  afterAll(async () => {
    expect(await target.stop()).toEqual({ code: 0, signal: null });
  });

  describe('modules', () => {
    test('the executable comes first, with the path the maps show and dladdr\'s base', () => {
      const list = modules(pid);
      expect(list[0].path).toBe(target.path);
      expect(list[0].path).toBe(fs.realpathSync(r.exe));
      expect(list[0].name).toBe(exeName);
      expect(list[0].base).toBe(r.dladdr.memprobe_target_add.dli_fbase);
    });

    test('every object the fixture holds lies inside the executable\'s [base, end)', () => {
      const [exe] = modules(pid);
      for (const address of [...Object.values(r.exported), ...Object.values(r.static)]) {
        expect(address >= exe.base && address < exe.end).toBe(true);
      }
    });

    test('libc is there, with dladdr\'s base for malloc and the path dladdr names', () => {
      const list = modules(pid);
      const found = list.filter((m) => m.name === path.basename(r.dladdr.malloc.dli_fname!));
      expect(found).toHaveLength(1);
      const libc: Module = found[0];
      expect(libc.base).toBe(r.dladdr.malloc.dli_fbase);
      expect(libc.base).toBe(r.dladdr.getpid.dli_fbase);
      expect(fs.realpathSync(libc.path)).toBe(fs.realpathSync(r.dladdr.malloc.dli_fname!));
      expect(r.dladdr.malloc.address >= libc.base && r.dladdr.malloc.address < libc.end).toBe(true);
    });

    test('the vDSO is there, at getauxval(AT_SYSINFO_EHDR)', () => {
      const vdso = modules(pid).filter((m) => m.name === '[vdso]');
      expect(vdso).toHaveLength(1);
      expect(vdso[0].path).toBe('[vdso]');
      expect(vdso[0].base).toBe(r.vdso);
    });

    test('every module: end > base, page-aligned, size = end - base, a build ID of hex or null; after the executable, in address order', () => {
      const list = modules(pid);
      expect(list.length).toBeGreaterThanOrEqual(4);  // the executable, libc, the dynamic loader, the vDSO
      for (const m of list) {
        expect(m.end).toBeGreaterThan(m.base);
        expect(m.base % P).toBe(0n);
        expect(m.end % P).toBe(0n);
        expect(m.size).toBe(Number(m.end - m.base));
        expect(m.buildId === null || /^[0-9a-f]+$/.test(m.buildId)).toBe(true);
        expect(m.name).toBe(m.path === '[vdso]' ? '[vdso]' : path.basename(m.path));
      }
      for (let i = 2; i < list.length; i++) expect(list[i].base).toBeGreaterThan(list[i - 1].base);
    });

    test('every module is an ELF file (or the vDSO), and the mapped text file is none', () => {
      const list = modules(pid);
      for (const m of list.filter((m) => m.path !== '[vdso]')) {
        const magic = Buffer.alloc(4);
        const fd = fs.openSync(m.path, 'r');
        fs.readSync(fd, magic, 0, 4, 0);
        fs.closeSync(fd);
        expect(magic.toString('latin1')).toBe('\x7fELF');
      }
      expect(mapsOf(pid).some((line) => line.path === r.mappedText.path)).toBe(true);  // it is mapped…
      expect(list.some((m) => m.path === r.mappedText.path)).toBe(false);               // …and no module
      expect(findModule(r.mappedText.path, { pid })).toBeNull();
      expect(symbolize(r.mappedText.address, { pid })).toBeNull();
    });

    test('each module starts at its file\'s first mapping in the maps, and covers every mapping of that file', () => {
      const maps = mapsOf(pid);
      for (const m of modules(pid).filter((m) => m.path !== '[vdso]')) {
        const lines = maps.filter((line) => line.path === m.path);
        expect(lines.length).toBeGreaterThan(0);
        expect(m.base).toBe(lines[0].start);
        expect(lines[0].offset).toBe(0n);
        for (const line of lines) expect(line.start >= m.base && line.end <= m.end).toBe(true);
      }
    });

    withReadelf(`build IDs equal what readelf -n says, for the executable and libc${READELF_MISSING}`, () => {
      const list = modules(pid);
      expect(list[0].buildId).toBe(readelfBuildId(target.path));
      expect(list[0].buildId).toMatch(/^[0-9a-f]{40}$/);  // linked with --build-id=sha1
      const c = list.find((m) => m.name === path.basename(r.dladdr.malloc.dli_fname!))!;
      expect(c.buildId).toBe(readelfBuildId(c.path));
    });
  });

  describe('findModule', () => {
    test('by file name and by path, the same module modules() lists', () => {
      const list = modules(pid);
      expect(findModule(exeName, { pid })).toEqual(list[0]);
      expect(findModule(target.path, { pid })).toEqual(list[0]);
      const c = list.find((m) => m.base === r.dladdr.malloc.dli_fbase)!;
      expect(findModule(c.name, { pid })).toEqual(c);
      expect(findModule(c.path, { pid })).toEqual(c);
      expect(findModule('[vdso]', { pid })?.base).toBe(r.vdso);
    });

    test('null for a name nothing maps, for part of a name, and for the mapped text file', () => {
      expect(findModule('no-such-module.so.1', { pid })).toBeNull();
      expect(findModule('symbols-target', { pid })).toBeNull();  // a prefix of the executable's name
      expect(findModule(exeName.slice(1), { pid })).toBeNull();
      expect(findModule(path.basename(r.mappedText.path), { pid })).toBeNull();
    });
  });

  describe('findSymbol', () => {
    test('each exported symbol is where the fixture says, with and without `module`', () => {
      for (const [name, address] of Object.entries(r.exported)) {
        expect([name, findSymbol(name, { pid })]).toEqual([name, address]);
        expect([name, findSymbol(name, { pid, module: exeName })]).toEqual([name, address]);
        expect([name, findSymbol(name, { pid, module: target.path })]).toEqual([name, address]);
      }
    });

    test(stripped ? 'static symbols are not found: the stripped file has only .dynsym' : 'each static symbol is where the fixture says (.symtab)', () => {
      for (const [name, address] of Object.entries(r.static)) {
        expect([name, findSymbol(name, { pid })]).toEqual([name, stripped ? null : address]);
        expect([name, findSymbol(name, { pid, module: exeName })]).toEqual([name, stripped ? null : address]);
      }
    });

    test('malloc in libc is where dladdr says, with and without `module`', () => {
      const c = findModule(path.basename(r.dladdr.malloc.dli_fname!), { pid })!;
      expect(r.dladdr.malloc.dli_sname).toBe('malloc');
      expect(findSymbol('malloc', { pid, module: c.name })).toBe(r.dladdr.malloc.dli_saddr);
      expect(findSymbol('malloc', { pid, module: c.path })).toBe(r.dladdr.malloc.dli_saddr);
      expect(findSymbol('malloc', { pid })).toBe(r.dladdr.malloc.dli_saddr);
      expect(r.dladdr.malloc.dli_saddr).toBe(r.dladdr.malloc.address);
    });

    test('null for a name nothing defines, a symbol asked of a module without it, and a module not mapped', () => {
      const c = findModule(path.basename(r.dladdr.malloc.dli_fname!), { pid })!;
      expect(findSymbol('memprobe_target_no_such_symbol', { pid })).toBeNull();
      expect(findSymbol('memprobe_target_add', { pid, module: c.name })).toBeNull();
      expect(findSymbol('malloc', { pid, module: exeName })).toBeNull();  // the executable only imports it
      expect(findSymbol('malloc', { pid, module: 'no-such-module.so.1' })).toBeNull();
    });

    test('a static function named like a (weak) libc export: the name alone finds libc\'s, global and weak before local; the executable\'s module its own', () => {
      const { name, executable, libc } = r.shadowing;
      const c = path.basename(r.dladdr.malloc.dli_fname!);
      expect(findSymbol(name, { pid })).toBe(libc);
      expect(findSymbol(name, { pid, module: c })).toBe(libc);
      expect(findSymbol(name, { pid, module: exeName })).toBe(stripped ? null : executable);
      expect(parseAddress(name, { pid })).toBe(libc);
      if (stripped) expect(thrown(() => parseAddress(`${exeName}!${name}`, { pid })).code).toBe('ERR_INVALID_ARG_VALUE');
      else expect(parseAddress(`${exeName}!${name}+1`, { pid })).toBe(executable + 1n);
      expect(symbolize(executable + 1n, { pid })?.symbol).toBe(stripped ? null : name);
    });

    withReadelfAndNm(`libc's symbols and the executable's equal nm's values + base - first PT_LOAD vaddr (default versions, an IFUNC's resolver)${NM_MISSING}`, () => {
      const c = findModule(path.basename(r.dladdr.malloc.dli_fname!), { pid })!;
      const libcSymbols = nmSymbols(c.path, { dynamic: true });
      const libcBias = c.base - readelfFirstLoad(c.path);
      // memcpy: an IFUNC (its resolver's address) whose default version (GLIBC_2.14) differs from a hidden one
      for (const name of ['malloc', 'free', 'getpid', 'memcpy', 'strlen', 'printf', 'environ']) {
        expect(libcSymbols.has(name)).toBe(true);
        expect([name, findSymbol(name, { pid, module: c.name })]).toEqual([name, libcSymbols.get(name)! + libcBias]);
      }
      const [exe] = modules(pid);
      const exeBias = exe.base - readelfFirstLoad(target.path);
      expect(exeBias === 0n).toBe(variant.startsWith('nopie'));  // a non-PIE executable is loaded where it was linked
      const dynamic = nmSymbols(target.path, { dynamic: true });
      for (const name of Object.keys(r.exported)) expect([name, findSymbol(name, { pid })]).toEqual([name, dynamic.get(name)! + exeBias]);
      if (!stripped) {
        const table = nmSymbols(target.path, { dynamic: false });
        for (const name of Object.keys(r.static)) expect([name, findSymbol(name, { pid })]).toEqual([name, table.get(name)! + exeBias]);
      }
    });
  });

  describe('symbolize', () => {
    test('a function\'s address + k: the executable, offset from its base, the function and k', () => {
      const [exe] = modules(pid);
      for (const name of r.functions) {
        const address = r.exported[name] ?? r.static[name];
        const covered = !stripped || name in r.exported;
        for (const k of [0n, 3n]) {
          expect([name, k, symbolize(address + k, { pid })]).toEqual([
            name,
            k,
            { module: exeName, offset: address + k - exe.base, symbol: covered ? name : null, symbolOffset: covered ? k : null },
          ]);
        }
      }
    });

    test('an object\'s address + k names the object', () => {
      const [exe] = modules(pid);
      const address = r.exported.memprobe_target_struct;
      expect(symbolize(address + 12n, { pid })).toEqual({ module: exeName, offset: address + 12n - exe.base, symbol: 'memprobe_target_struct', symbolOffset: 12n });
      expect(symbolize(Number(address + 24n), { pid })?.symbolOffset).toBe(24n);  // a number address too
    });

    test('an array of addresses: one answer each, as the single form gives it', () => {
      const [exe] = modules(pid);
      const addresses = [
        r.exported.memprobe_target_add + 1n,
        r.static.memprobe_target_static_twice,
        r.exported.memprobe_target_struct + 12n,
        exe.base + 0x11n,
        r.chain.node1,
        0n,
        r.dladdr.malloc.dli_saddr + 2n,
        Number(r.exported.memprobe_target_checksum),
      ];
      const answers = symbolize(addresses, { pid });
      expect(answers).toEqual(addresses.map((address) => symbolize(address, { pid })));
      expect(answers[0]?.symbol).toBe('memprobe_target_add');
      expect(answers[4]).toBeNull();
      expect(symbolize([], { pid })).toEqual([]);
    });

    test('no symbol covers the ELF header: module and offset, symbol null', () => {
      const [exe] = modules(pid);
      expect(symbolize(exe.base + 0x11n, { pid })).toEqual({ module: exeName, offset: 0x11n, symbol: null, symbolOffset: null });
    });

    test('null outside every module: the heap, the mapped text file, an unmapped page, address 0', () => {
      for (const address of [r.chain.node1, r.chain.valueAddress, r.mappedText.address, r.chain.unmapped, 0n]) {
        expect([address, symbolize(address, { pid })]).toEqual([address, null]);
      }
    });

    test('agrees with dladdr for the exported functions', () => {
      for (const name of ['memprobe_target_add', 'memprobe_target_checksum']) {
        const info = r.dladdr[name];
        const result = symbolize(info.address + 1n, { pid })!;
        expect(result.symbol).toBe(info.dli_sname);
        expect(info.address + 1n - result.symbolOffset!).toBe(info.dli_saddr);
        expect(findModule(result.module, { pid })!.base).toBe(info.dli_fbase);
      }
    });

    test('agrees with dladdr for libc functions (the name may be an alias at the same address)', () => {
      for (const name of ['malloc', 'getpid']) {
        const info = r.dladdr[name];
        const result = symbolize(info.address + 2n, { pid })!;
        expect(result.module).toBe(path.basename(info.dli_fname!));
        expect(result.symbolOffset).toBe(2n);
        expect(findModule(result.module, { pid })!.base).toBe(info.dli_fbase);
        expect(result.offset).toBe(info.address + 2n - info.dli_fbase);
        // dladdr names malloc 'malloc' and getpid '__getpid': the same address under either name
        expect(findSymbol(result.symbol!, { pid, module: result.module })).toBe(info.dli_saddr);
        expect(findSymbol(info.dli_sname!, { pid, module: result.module })).toBe(info.dli_saddr);
      }
    });
  });

  describe('parseAddress', () => {
    test('numbers: hex and decimal', () => {
      expect(parseAddress('0x1f00', { pid })).toBe(0x1f00n);
      expect(parseAddress('8000', { pid })).toBe(8000n);
      expect(parseAddress('0xffffffffffffffff', { pid })).toBe(0xffffffffffffffffn);
    });

    test('modules: a name, a path, with an offset; the vDSO', () => {
      const c = findModule(path.basename(r.dladdr.malloc.dli_fname!), { pid })!;
      const [exe] = modules(pid);
      expect(parseAddress(c.name, { pid })).toBe(c.base);
      expect(parseAddress(`${c.name}+0x1f00`, { pid })).toBe(c.base + 0x1f00n);
      expect(parseAddress(`${c.name} + 0x1f00`, { pid })).toBe(c.base + 0x1f00n);
      expect(parseAddress(`${c.path}+16`, { pid })).toBe(c.base + 16n);
      expect(parseAddress(exeName, { pid })).toBe(exe.base);
      expect(parseAddress(target.path, { pid })).toBe(exe.base);
      expect(parseAddress('[vdso]', { pid })).toBe(r.vdso);
    });

    test('symbols: bare, !name, module!name, with + and - offsets and spaces', () => {
      const c = findModule(path.basename(r.dladdr.malloc.dli_fname!), { pid })!;
      const malloc = r.dladdr.malloc.dli_saddr;
      expect(parseAddress('malloc', { pid })).toBe(malloc);
      expect(parseAddress('!malloc', { pid })).toBe(malloc);
      expect(parseAddress(`${c.name}!malloc+8`, { pid })).toBe(malloc + 8n);
      expect(parseAddress(`${c.path}!malloc+8`, { pid })).toBe(malloc + 8n);
      expect(parseAddress('malloc-0x10', { pid })).toBe(malloc - 0x10n);
      expect(parseAddress('malloc - 0x10', { pid })).toBe(malloc - 0x10n);
      expect(parseAddress('malloc + 8', { pid })).toBe(malloc + 8n);
      expect(parseAddress('memprobe_target_struct+4', { pid })).toBe(r.exported.memprobe_target_struct + 4n);
      expect(parseAddress(`${exeName}!memprobe_target_add+3`, { pid })).toBe(r.exported.memprobe_target_add + 3n);
      expect(parseAddress('!memprobe_target_counter', { pid })).toBe(r.exported.memprobe_target_counter);
    });

    test(stripped ? 'a static symbol is unknown in the stripped file' : 'a static symbol is found through .symtab', () => {
      const address = r.static.memprobe_target_static_value;
      if (stripped) expect(thrown(() => parseAddress('memprobe_target_static_value+8', { pid })).code).toBe('ERR_INVALID_ARG_VALUE');
      else expect(parseAddress('memprobe_target_static_value+8', { pid })).toBe(address + 8n);
    });

    test('an unknown module or symbol: ERR_INVALID_ARG_VALUE naming the expression and what is missing', () => {
      const c = path.basename(r.dladdr.malloc.dli_fname!);
      const cases = [
        ['no-such-module.so.1!malloc', 'no-such-module.so.1'],
        ['memprobe_target_no_such_symbol+8', 'memprobe_target_no_such_symbol'],
        [`${c}!memprobe_target_add`, 'memprobe_target_add'],
        ['!no_such_symbol_either', 'no_such_symbol_either'],
      ];
      for (const [expression, missing] of cases) {
        const error = thrown(() => parseAddress(expression, { pid }));
        expect([expression, error.name, error.code]).toEqual([expression, 'TypeError', 'ERR_INVALID_ARG_VALUE']);
        expect(error.message).toContain(expression);
        expect(error.message).toContain(missing);
      }
    });

    test('bad syntax: ERR_INVALID_ARG_VALUE', () => {
      for (const expression of ['', '   ', '0x', '+8', 'malloc+', 'malloc + ', '!', 'libc.so.6!', 'malloc+0xzz', 'malloc+8+']) {
        expect([expression, thrown(() => parseAddress(expression, { pid })).code]).toEqual([expression, 'ERR_INVALID_ARG_VALUE']);
      }
      // A dangling sign is called that, not an unknown name.
      expect(thrown(() => parseAddress('malloc+', { pid })).message).toContain('a sign with no number after it');
    });

    test('a decimal with a leading zero (octal in C, hex on the command line) is refused, not guessed', () => {
      for (const expression of ['010', '00', 'malloc+010', 'malloc - 08']) {
        const error = thrown(() => parseAddress(expression, { pid }));
        expect([expression, error.code, /leading zero is ambiguous/.test(error.message)]).toEqual([expression, 'ERR_INVALID_ARG_VALUE', true]);
      }
      expect(parseAddress('0', { pid })).toBe(0n);
      expect(parseAddress('malloc+0', { pid })).toBe(parseAddress('malloc', { pid }));
    });

    test('a result outside 0..2^64-1: ERR_OUT_OF_RANGE', () => {
      for (const expression of ['0xffffffffffffffff+1', '0x10000000000000000', '0-1', 'malloc-0xffffffffffffffff', 'malloc+0xffffffffffffffff']) {
        const error = thrown(() => parseAddress(expression, { pid }));
        expect([expression, error.name, error.code]).toEqual([expression, 'RangeError', 'ERR_OUT_OF_RANGE']);
      }
    });

    test('argument errors: a non-string, an unknown option', () => {
      expect(thrown(() => parseAddress(0x1000 as unknown as string, { pid })).code).toBe('ERR_INVALID_ARG_TYPE');
      expect(thrown(() => parseAddress('malloc', { pid, module: 'x' } as never)).code).toBe('ERR_INVALID_ARG_VALUE');
    });
  });

  describe('readPointerChain', () => {
    test('[[root + o1] + o2] + o3 is the known u32\'s address', () => {
      expect(readPointerChain(r.chain.root, r.chain.offsets, { pid })).toEqual({ ok: true, value: r.chain.valueAddress, fault: null });
      const base = parseAddress('memprobe_target_chain_root', { pid });
      const result = readPointerChain(base, r.chain.offsets.map(BigInt), { pid });
      expect(result.ok && result.value).toBe(r.chain.valueAddress);
      const value = readU32(r.chain.valueAddress, { pid });
      expect(value.ok && value.value).toBe(r.chain.value);
    });

    test('no offsets: the base; one: base + it, nothing read; negative offsets', () => {
      const [o1, o2, o3] = r.chain.offsets;
      expect(readPointerChain(r.chain.root, [], { pid })).toEqual({ ok: true, value: r.chain.root, fault: null });
      expect(readPointerChain(r.chain.unmapped, [8], { pid })).toEqual({ ok: true, value: r.chain.unmapped + 8n, fault: null });
      const shifted = readPointerChain(r.chain.root + 32n, [o1 - 32, o2, o3 - 4], { pid });
      expect(shifted.ok && shifted.value).toBe(r.chain.valueAddress - 4n);
      expect(readPointerChain(r.chain.root, [o1, o2], { pid })).toEqual({ ok: true, value: r.chain.node1 + BigInt(o2), fault: null });  // node1 + o2: the last offset is only added
    });

    test('a dereference of an unmapped address faults at its step, with that address', () => {
      const [o1] = r.chain.offsets;
      const viaNode1 = readPointerChain(r.chain.root, [o1, r.chain.unmappedOffset, 8, 0], { pid });
      expect(viaNode1).toMatchObject({ ok: false, step: 2, fault: { address: r.chain.unmapped + 8n, access: 'read' } });
      const first = readPointerChain(r.chain.unmapped, [16, 0], { pid });
      expect(first).toMatchObject({ ok: false, step: 0, fault: { address: r.chain.unmapped + 16n } });
      // the last offset is added, never read: a chain that ends on the unmapped page succeeds
      expect(readPointerChain(r.chain.root, [o1, r.chain.unmappedOffset, 8], { pid })).toEqual({ ok: true, value: r.chain.unmapped + 8n, fault: null });
    });
  });

  describe('reads and writes at parsed addresses', () => {
    test('the struct\'s fields', () => {
      const at = (expression: string): bigint => parseAddress(expression, { pid });
      const { offsets } = r.struct;
      expect(readU32(at(`memprobe_target_struct+${offsets.magic}`), { pid })).toEqual({ ok: true, value: r.struct.magic, fault: null });
      expect(r.struct.magic).toBe(0xfeedface);
      expect(readU32(at('memprobe_target_struct+4'), { pid })).toEqual({ ok: true, value: r.struct.version, fault: null });
      expect(offsets.version).toBe(4);
      expect(readU64(at(`memprobe_target_struct + ${offsets.wide}`), { pid })).toEqual({ ok: true, value: r.struct.wide, fault: null });
      expect(readF64(at(`memprobe_target_struct+0x${offsets.ratio.toString(16)}`), { pid })).toEqual({ ok: true, value: r.struct.ratio, fault: null });
      expect(readCString(at(`${exeName}!memprobe_target_struct+${offsets.name}`), { pid })).toMatchObject({ ok: true, value: r.struct.name });
    });

    test('the strings: ASCII, UTF-8, UTF-16', () => {
      expect(readCString(parseAddress('memprobe_target_ascii', { pid }), { pid })).toMatchObject({ ok: true, value: r.strings.ascii });
      expect(readUtf8(parseAddress('memprobe_target_utf8', { pid }), r.strings.utf8Bytes, { pid })).toMatchObject({ ok: true, value: r.strings.utf8 });
      expect(Buffer.byteLength(r.strings.utf8)).toBe(r.strings.utf8Bytes);
      expect(readUtf16(parseAddress('memprobe_target_utf16', { pid }), { pid })).toMatchObject({ ok: true, value: r.strings.utf16 });
      expect(r.strings.utf16.length).toBe(r.strings.utf16Units);
    });

    test('a write into the fixture\'s counter is seen by a re-read and by the fixture itself', async () => {
      const counter = parseAddress('memprobe_target_counter', { pid });
      expect(readU64(counter, { pid })).toEqual({ ok: true, value: r.counter, fault: null });
      const value = 0x5a5a000000000000n + BigInt(pid);
      expect(writeU64(counter, value, { pid })).toEqual({ ok: true, bytesCopied: 8, fault: null });
      expect(readU64(counter, { pid })).toEqual({ ok: true, value, fault: null });
      expect(await target.status()).toEqual({ counter: value, magic: r.struct.magic });
    });
  });
});

describe('a process that has exited', () => {
  test('modules, findModule, findSymbol, symbolize, parseAddress and readPointerChain throw SystemError ESRCH with its pid', async () => {
    const target = await startSymbolsTarget('pie');
    const { pid } = target;
    const { root, offsets } = target.report.chain;
    expect(modules(pid).length).toBeGreaterThan(0);
    expect(await target.stop()).toEqual({ code: 0, signal: null });  // exited and reaped
    const calls: Array<[string, () => unknown]> = [
      ['modules', () => modules(pid)],
      ['findModule', () => findModule('libc.so.6', { pid })],
      ['findSymbol', () => findSymbol('malloc', { pid })],
      ['symbolize', () => symbolize(root, { pid })],
      ['parseAddress', () => parseAddress('malloc', { pid })],
      ['readPointerChain', () => readPointerChain(root, offsets, { pid })],
    ];
    for (const [name, call] of calls) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect([name, error instanceof SystemError]).toEqual([name, true]);
      expect([name, (error as SystemError).code, (error as SystemError).pid]).toEqual([name, 'ESRCH', pid]);
      expect((error as Error).message).toContain(String(pid));
    }
  });
});

describe('a process that has exited and is not yet reaped (a zombie)', () => {
  test('modules, findSymbol, symbolize, parseAddress and readPointerChain throw SystemError ESRCH with its pid', async () => {
    const zombie = await startZombieSymbolsTarget('nopie');
    try {
      const { pid } = zombie;
      const { root, offsets } = zombie.report.chain;
      const calls: Array<[string, () => unknown]> = [
        ['modules', () => modules(pid)],
        ['findSymbol', () => findSymbol('memprobe_target_add', { pid })],
        ['symbolize', () => symbolize(root, { pid })],
        ['parseAddress', () => parseAddress('memprobe_target_chain_root', { pid })],
        ['readPointerChain', () => readPointerChain(root, offsets, { pid })],
      ];
      for (const [name, call] of calls) {
        let error: unknown;
        try {
          call();
        } catch (e) {
          error = e;
        }
        expect([name, error instanceof SystemError, (error as SystemError).code, (error as SystemError).pid]).toEqual([name, true, 'ESRCH', pid]);
      }
    } finally {
      expect(await zombie.reap()).toEqual({ code: 0, signal: null });
    }
  });
});

describe('an executable replaced on disk, then deleted, while it runs', () => {
  let directory: string;
  let target: SymbolsTarget;
  let copy: string;
  let original: string | null;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-symbols-'));
    copy = path.join(directory, 'replaced-target');
    target = await startSymbolsTarget('pie', { copyTo: copy });
    original = READELF ? readelfBuildId(copy) : null;
    // Another build (non-PIE, no .symtab) takes the path: what the path now names is not what the process mapped.
    const other = path.join(directory, 'other');
    fs.copyFileSync(buildSymbolsTargets()['nopie-stripped'], other);
    fs.renameSync(other, copy);
  });

  afterAll(async () => {
    expect(await target.stop()).toEqual({ code: 0, signal: null });
    fs.rmSync(directory, { recursive: true, force: true });
  });

  function expectAnswersFromWhatIsMapped(): void {
    const r = target.report;
    const pid = target.pid;
    const [exe] = modules(pid);
    expect(exe.path).toBe(`${target.path} (deleted)`);
    expect(exe.name).toBe('replaced-target');
    expect(exe.base).toBe(r.dladdr.memprobe_target_add.dli_fbase);
    expect(findModule(exe.path, { pid })).toEqual(exe);
    expect(findModule('replaced-target', { pid })).toEqual(exe);
    for (const [name, address] of [...Object.entries(r.exported), ...Object.entries(r.static)]) {
      expect([name, findSymbol(name, { pid })]).toEqual([name, address]);
    }
    expect(symbolize(r.static.memprobe_target_static_twice + 2n, { pid })).toEqual({
      module: 'replaced-target',
      offset: r.static.memprobe_target_static_twice + 2n - exe.base,
      symbol: 'memprobe_target_static_twice',
      symbolOffset: 2n,
    });
    expect(parseAddress('replaced-target!memprobe_target_static_value', { pid })).toBe(r.static.memprobe_target_static_value);
  }

  test('the module and its symbols (static ones too) are the mapped file\'s, not the file now at its path', () => {
    expectAnswersFromWhatIsMapped();
  });

  withReadelf(`the build ID is the mapped file's, not the file's now at its path${READELF_MISSING}`, () => {
    expect(original).toMatch(/^[0-9a-f]{40}$/);
    expect(readelfBuildId(copy)).not.toBe(original);
    expect(modules(target.pid)[0].buildId).toBe(original);
  });

  test('the same once the path is deleted', () => {
    fs.unlinkSync(copy);
    expectAnswersFromWhatIsMapped();
  });
});

describe('without the capability that opens /proc/<pid>/map_files', () => {
  // map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: a child with both dropped (as root, via setpriv)
  // reaches the mapped file through /proc/<pid>/root + its path, which must be the very file mapped.
  const SETPRIV = process.getuid!() === 0 && toolAvailable('setpriv');
  const withSetpriv = SETPRIV ? test : test.skip;
  const why = SETPRIV ? '' : ' (skipped: needs root and setpriv to drop the capabilities)';

  withSetpriv(`symbols through the path when it names the mapped file; none, rather than another file's, once it names another build${why}`, () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-symbols-'));
    try {
      const variants = buildSymbolsTargets();
      const kept = path.join(directory, 'kept-target');
      const replaced = path.join(directory, 'replaced-target');
      const other = path.join(directory, 'other-build');
      for (const [file, variant] of [[kept, 'pie'], [replaced, 'pie'], [other, 'nopie-stripped']] as const) {
        fs.copyFileSync(variants[variant], file);
        fs.chmodSync(file, 0o755);
      }
      const script = `
        const memprobe = require(${JSON.stringify(path.join(__dirname, '..'))});
        const { spawn } = require('node:child_process');
        const fs = require('node:fs');
        const readline = require('node:readline');
        const [kept, replaced, other] = ${JSON.stringify([kept, replaced, other])};
        const start = async (file) => {
          const child = spawn(file, [], { stdio: ['pipe', 'pipe', 'inherit'] });
          const line = await readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
          return { child, report: JSON.parse(line.value) };
        };
        const ask = ({ report }) => {
          const pid = report.pid;
          const [exe] = memprobe.modules(pid);
          let mapFiles = 'opened';
          try { fs.closeSync(fs.openSync('/proc/' + pid + '/map_files/' + fs.readdirSync('/proc/' + pid + '/map_files')[0], 'r')); } catch (e) { mapFiles = e.code; }
          return {
            mapFiles, exe: { base: exe.base, buildId: exe.buildId },
            add: memprobe.findSymbol('memprobe_target_add', { pid }), twice: memprobe.findSymbol('memprobe_target_static_twice', { pid }),
            at: memprobe.symbolize(BigInt(report.static.memprobe_target_static_twice) + 2n, { pid }),
          };
        };
        (async () => {
          const a = await start(kept);
          const b = await start(replaced);
          fs.renameSync(other, replaced);   // before any lookup: nothing of the mapped file is cached yet
          const answers = { kept: ask(a), replaced: ask(b), reports: [a.report, b.report] };
          for (const { child } of [a, b]) child.stdin.end();
          console.log(JSON.stringify(answers, (key, value) => (typeof value === 'bigint' ? '0x' + value.toString(16) : value)));
        })();`;
      const dropped = ['--bounding-set=-sys_admin,-checkpoint_restore', '--inh-caps=-sys_admin,-checkpoint_restore'];
      const run = spawnSync('setpriv', [...dropped, process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const answers = JSON.parse(run.stdout, (_key, value: unknown) => (typeof value === 'string' && /^0x[0-9a-f]+$/.test(value) ? BigInt(value) : value));
      const [keptReport, replacedReport] = answers.reports as SymbolsTargetReport[];
      // The route under test: map_files refused.
      expect([answers.kept.mapFiles, answers.replaced.mapFiles]).toEqual(['EPERM', 'EPERM']);
      // The path names the mapped file: .dynsym and .symtab from it.
      expect(answers.kept).toMatchObject({
        exe: { base: keptReport.dladdr.memprobe_target_add.dli_fbase },
        add: keptReport.exported.memprobe_target_add,
        twice: keptReport.static.memprobe_target_static_twice,
        at: { module: 'kept-target', symbol: 'memprobe_target_static_twice', symbolOffset: 2n },
      });
      // The path names another build now: the module is still the mapped one (its headers are read from memory),
      // and no symbol is read from the other file.
      expect(answers.replaced).toEqual({
        mapFiles: 'EPERM',
        exe: { base: replacedReport.dladdr.memprobe_target_add.dli_fbase, buildId: answers.kept.exe.buildId },
        add: null,
        twice: null,
        at: { module: 'replaced-target', offset: replacedReport.static.memprobe_target_static_twice + 2n - replacedReport.dladdr.memprobe_target_add.dli_fbase, symbol: null, symbolOffset: null },
      });
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('this process, without a pid', () => {
  let target: SymbolsTarget;
  beforeAll(async () => {
    target = await startSymbolsTarget('pie');
  });
  afterAll(async () => {
    expect(await target.stop()).toEqual({ code: 0, signal: null });
  });

  test('the executable first (this Node), libc, the vDSO', () => {
    const list = modules();
    expect(list[0].path).toBe(fs.realpathSync(process.execPath));
    expect(list[0].name).toBe(path.basename(list[0].path));
    expect(list.some((m) => m.name === '[vdso]')).toBe(true);
    expect(findModule(list[0].name)).toEqual(list[0]);
  });

  test('libc is the same file in both processes: the same build ID, and malloc at the same offset from its base', () => {
    const r = target.report;
    const libcName = path.basename(r.dladdr.malloc.dli_fname!);
    const there = findModule(libcName, { pid: target.pid })!;
    const here = findModule(libcName)!;
    expect(here).not.toBeNull();
    expect(here.path).toBe(there.path);
    expect(here.buildId).toBe(there.buildId);
    expect(here.size).toBe(there.size);
    const mallocHere = findSymbol('malloc', { module: libcName })!;
    expect(mallocHere - here.base).toBe(r.dladdr.malloc.dli_saddr - there.base);
    expect(findSymbol('malloc')).toBe(mallocHere);
    expect(parseAddress(`${libcName}!malloc+8`)).toBe(mallocHere + 8n);
  });

  test('symbolize answers in the same shape here as there', () => {
    const r = target.report;
    const libcName = path.basename(r.dladdr.malloc.dli_fname!);
    const here = symbolize(findSymbol('malloc', { module: libcName })! + 2n)!;
    const there = symbolize(r.dladdr.malloc.dli_saddr + 2n, { pid: target.pid })!;
    expect(Object.keys(here).sort()).toEqual(Object.keys(there).sort());
    expect(here).toEqual(there);  // the same file: the same symbol at the same offset from its base
    expect(symbolize(0n)).toBeNull();
  });
});
