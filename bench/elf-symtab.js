'use strict';
// npm run bench:elf: memprobe's own ELF reader on a large symbol table. A synthetic ELF64 shared object with a
// ~30 MB .symtab (1.3M symbols, as a large C++ program with its local symbols has) and its .strtab is written to a
// temporary directory, then, in alternating rounds of one run:
//   (a) bench/native/symtab_index.c: the same job in plain C (pread the tables, keep the symbols that count, measure
//       the names, one sort of packed keys): the floor. It is the fairest one because it produces what memprobe's
//       index holds and nothing else; `readelf -sW` and `nm` do more (they format and print every symbol, nm sorts
//       and demangles nothing here but still writes ~50 MB of text), so they are reference points, not the floor;
//   (b) memprobe's parse: readElfHeader, readSymbolTables and new SymbolTable over the file's bytes, the functions
//       findSymbol and symbolize use (from dist/);
//   (c) `readelf -sW` and (d) `nm` of the same file, output to /dev/null;
//   (e) elfinfo (the one typed ELF package on npm) where it can be loaded, in a child process of its own (its parse
//       holds an object per symbol, gigabytes here, which would slow this process's garbage collection for the
//       other rows): it is not a dependency of memprobe; set ELFINFO_DIR to a directory whose node_modules holds it
//       (`npm install --prefix DIR elfinfo`), else the row is left out and the run says so.
// Each row: the median time on the CPU (the whole process's, user and kernel, as getrusage counts it on every side:
// garbage collection threads count, as they would for a user), the median of the per-round ratios to (a), their
// spread (min–max) and the median wall clock. Then the file is mapped (mapFile) and the public calls are timed on it:
// the first findSymbol (which parses), then findSymbol and symbolize of one address, and symbolize of 100,000
// addresses in one call. Absolute speed differs ~3x between machines; the ratios are what to read.
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const memprobe = require('..');
const { bufferSource, readElfHeader, readSymbolTables } = require('../dist/symbols/elf');
const { SymbolTable } = require('../dist/symbols/symbol-table');
const { cProgram } = require('./native-build');
const { formatNs, machine, median, spread } = require('./stats');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const SYMBOLS = Number(process.env.BENCH_SYMBOLS || 1_300_000);
const FILE_NAME = 'synthetic-symtab.so';

// ELF constants (the ELF-64 Object File Format, and glibc's elf.h for the names).
const ET_DYN = 3;
const PT_LOAD = 1;
const PT_NOTE = 4;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_FILE = 4;
const SHN_ABS = 0xfff1;
const NT_GNU_BUILD_ID = 3;
const MACHINES = { x64: 62, arm64: 183 };
const TEXT_SECTION = 1;  // the index of .text among the section headers below

/**
 * The synthetic object's symbols, in a linker's order: the locals first (with a file symbol now and then, dropped
 * by every reader), then the globals. Addresses are a permutation of the text's 16-byte slots, so the table is not
 * already in address order and the sort does real work. Names are mangled C++ (namespace, class, method, argument
 * types), 40 bytes on average and from 17 to 70 (node's own .symtab averages 68): varied in length as a real
 * program's are, so a lookup by name meets a few percent of the names at its length, not nearly all of them.
 */
const NAMESPACES = ['v8', 'node', 'icu_74', 'internal', 'compiler', 'memprobe', 'std', 'base'];
const CLASSES = ['Isolate', 'Heap', 'Map', 'Zone', 'JSObject', 'TurboAssembler', 'Scanner', 'Parser', 'ScopeInfo', 'GC'];
const ARGUMENTS = ['v', 'i', 'Pc', 'PKcm', 'RKSt6vectorIiSaIiEE', 'NS_6HandleINS_6ObjectEEE', 'mb', 'PvS_'];

function symbolAt(i, count, textStart) {
  const local = i < count * 0.3;
  const kind = i % 97 === 0 ? 'file' : i % 11 === 0 ? 'label' : i % 5 === 0 ? 'object' : 'function';
  const namespace = NAMESPACES[i % NAMESPACES.length];
  const klass = `${CLASSES[(i >> 3) % CLASSES.length]}${(i >> 6) % 7 === 0 ? '' : (i % 613).toString()}`;
  const method = `m${i.toString(36)}${'x'.repeat((i * 31) % 13)}`;
  const base = kind === 'file' ? `${namespace}/${klass}.cc`
    : `_ZN${namespace.length}${namespace}${klass.length}${klass}${method.length}${method}E${ARGUMENTS[(i >> 2) % ARGUMENTS.length]}`;
  const slot = (i * 7919) % count;  // 7919 is prime and divides no count used here: a permutation
  return {
    name: base,
    bind: local ? STB_LOCAL : STB_GLOBAL,
    type: kind === 'file' ? STT_FILE : kind === 'label' ? STT_NOTYPE : kind === 'object' ? STT_OBJECT : STT_FUNC,
    section: kind === 'file' ? SHN_ABS : TEXT_SECTION,
    value: kind === 'file' ? 0 : textStart + slot * 16,
    size: kind === 'label' || kind === 'file' ? 0 : 16,
  };
}

/** Writes the synthetic object into `dir`; returns its path and what the lookups will ask for. */
function writeObject(dir, count, page) {
  const textStart = page;
  const textSize = count * 16;
  if (count % 7919 === 0) throw new Error('BENCH_SYMBOLS must not be a multiple of 7919');
  const symbols = [];
  for (let i = 0; i < count; i++) symbols.push(symbolAt(i, count, textStart));

  // .strtab: a NUL, then every name once (duplicates are written again, as linkers do for locals of many files).
  const strtabSize = 1 + symbols.reduce((total, symbol) => total + symbol.name.length + 1, 0);
  const shstrtab = Buffer.from('\0.text\0.symtab\0.strtab\0.shstrtab\0', 'latin1');
  const shName = (name) => shstrtab.indexOf(`${name}\0`);
  const firstGlobal = 1 + symbols.findIndex((symbol) => symbol.bind !== STB_LOCAL);

  // Layout: headers and the build-id note in the first page (the loaded segment), then the tables.
  const symtabOffset = page;
  const symtabSize = (count + 1) * 24;
  const strtabOffset = symtabOffset + symtabSize;
  const shstrtabOffset = strtabOffset + strtabSize;
  const sectionsOffset = Math.ceil((shstrtabOffset + shstrtab.length) / 8) * 8;
  const sectionCount = 5;
  const file = Buffer.alloc(sectionsOffset + sectionCount * 64);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  /** Writes a record's fields at `at`, each [width in bytes, value], one after the other, little-endian. */
  const record = (at, fields) => {
    for (const [width, value] of fields) {
      if (width === 1) view.setUint8(at, value);
      else if (width === 2) view.setUint16(at, value, true);
      else if (width === 4) view.setUint32(at, value, true);
      else view.setBigUint64(at, BigInt(value), true);
      at += width;
    }
  };

  // Elf64_Ehdr: e_ident, then type, machine, version, entry, phoff, shoff, flags, ehsize, phentsize, phnum,
  // shentsize, shnum, shstrndx.
  file.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* little-endian */, 1 /* EV_CURRENT */], 0);
  record(16, [[2, ET_DYN], [2, MACHINES[process.arch] ?? 62], [4, 1], [8, textStart], [8, 64], [8, sectionsOffset],
    [4, 0], [2, 64], [2, 56], [2, 2], [2, 64], [2, sectionCount], [2, sectionCount - 1]]);

  // Elf64_Phdr (type, flags, offset, vaddr, paddr, filesz, memsz, align): one PT_LOAD from the start of the file
  // over the whole text, and the build-id note (namesz, descsz, type, 'GNU', the id) in it.
  const noteOffset = 64 + 2 * 56;
  const buildId = crypto.randomBytes(20);
  const noteSize = 16 + buildId.length;
  record(64, [[4, PT_LOAD], [4, 5 /* R+X */], [8, 0], [8, 0], [8, 0], [8, page], [8, textStart + textSize], [8, page]]);
  record(64 + 56, [[4, PT_NOTE], [4, 4], [8, noteOffset], [8, noteOffset], [8, noteOffset], [8, noteSize], [8, noteSize], [8, 4]]);
  record(noteOffset, [[4, 4], [4, buildId.length], [4, NT_GNU_BUILD_ID]]);
  file.write('GNU\0', noteOffset + 12, 'latin1');
  buildId.copy(file, noteOffset + 16);

  // .symtab (Elf64_Sym: name, info, other, shndx, value, size) and .strtab.
  let nameAt = 1;
  symbols.forEach((symbol, i) => {
    record(symtabOffset + (i + 1) * 24, [[4, nameAt], [1, (symbol.bind << 4) | symbol.type], [1, 0], [2, symbol.section], [8, symbol.value], [8, symbol.size]]);
    nameAt += file.write(symbol.name, strtabOffset + nameAt, 'latin1') + 1;
  });
  shstrtab.copy(file, shstrtabOffset);

  // Elf64_Shdr (name, type, flags, addr, offset, size, link, info, addralign, entsize): null, .text (no bits in the
  // file), .symtab, .strtab, .shstrtab.
  const sections = [
    [shName('.text'), SHT_NOBITS, 6 /* ALLOC+EXECINSTR */, textStart, page, textSize, 0, 0, 16, 0],
    [shName('.symtab'), SHT_SYMTAB, 0, 0, symtabOffset, symtabSize, 3, firstGlobal, 8, 24],
    [shName('.strtab'), SHT_STRTAB, 0, 0, strtabOffset, strtabSize, 0, 0, 1, 0],
    [shName('.shstrtab'), SHT_STRTAB, 0, 0, shstrtabOffset, shstrtab.length, 0, 0, 1, 0],
  ];
  const SHDR_WIDTHS = [4, 4, 8, 8, 8, 8, 4, 4, 8, 8];
  sections.forEach((fields, i) => record(sectionsOffset + (TEXT_SECTION + i) * 64, fields.map((value, f) => [SHDR_WIDTHS[f], value])));

  const filePath = path.join(dir, FILE_NAME);
  fs.writeFileSync(filePath, file);
  // The lookups ask for a global function in the middle of the table, and for an address 5 bytes into it.
  let probe = Math.floor(count * 0.65);
  while (symbols[probe].type !== STT_FUNC) probe++;
  return { filePath, symtabSize, strtabSize, fileSize: file.length, loadSize: textStart + textSize, probe: symbols[probe], textStart, textSize };
}

/** { wall, cpu } ns of one call of `fn` (cpu: this process's, as process.cpuUsage counts it, user and system). */
function timed(fn) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = fn();
  const wall = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) * 1000, result };
}

/** A command's { wall, cpu } from bash's `time` (cpu: user + system of the command, from wait4's rusage). */
function timedCommand(command, file) {
  const run = spawnSync('bash', ['-c', `TIMEFORMAT='%3R %3U %3S'; time ${command} "$1" >/dev/null`, 'bash', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr}`);
  const [wall, user, system] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall: wall * 1e9, cpu: (user + system) * 1e9 };
}

/** Where elfinfo can be loaded from, or null. */
function elfinfoPath() {
  const places = [process.env.ELFINFO_DIR, path.join(__dirname, '..')].filter(Boolean);
  try {
    return require.resolve('elfinfo', { paths: places });
  } catch {
    return null;
  }
}

// elfinfo runs in a child of its own: its parse holds an object per symbol (gigabytes here), which in this process
// would slow the garbage collection of every row measured after it. The child times its own open() as timed() does.
const ELFINFO_CHILD = `
const fs = require('node:fs');
const [elfinfoPath, file, mode, name, value] = process.argv.slice(1);
const elfinfo = require(elfinfoPath);
const time = async (fn) => {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await fn();
  const wall = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) * 1000, result };
};
(async () => {
  const opened = await time(async () => {
    const parsed = await elfinfo.open(fs.readFileSync(file));
    if (!parsed.success) throw new Error('elfinfo: ' + parsed.errors.join('; '));
    return parsed;
  });
  if (mode === 'parse') return console.log(JSON.stringify({ wall: opened.wall, cpu: opened.cpu }));
  const byName = await time(() => elfinfo.getSymbolByName(opened.result.elf, name));
  if (Number(byName.result && byName.result.value) !== Number(value)) throw new Error('elfinfo found ' + name + ' elsewhere');
  const byAddress = await time(() => elfinfo.getSymbolsAtVirtualMemoryLocation(opened.result.elf, Number(value) + 5));
  if (!byAddress.result.some((symbol) => symbol.name === name)) throw new Error('elfinfo named ' + value + '+5 otherwise');
  console.log(JSON.stringify({ byName: byName.wall, byAddress: byAddress.wall }));
})().catch((error) => { console.error(error); process.exit(1); });`;

function elfinfoChild(packagePath, file, ...args) {
  const output = execFileSync(process.execPath, ['--max-old-space-size=16384', '-e', ELFINFO_CHILD, packagePath, file, ...args], { encoding: 'utf8' });
  return JSON.parse(output);
}

async function main() {
  const page = memprobe.pageSize;
  console.log(`memprobe ELF symbol-table benchmark: ${machine()}\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-elf-'));
  try {
    const made = writeObject(dir, SYMBOLS, page);
    const { filePath } = made;
    console.log(`Synthetic object: ${(made.fileSize / 1e6).toFixed(1)} MB, .symtab ${(made.symtabSize / 1e6).toFixed(1)} MB ` +
      `(${SYMBOLS.toLocaleString('en')} symbols), .strtab ${(made.strtabSize / 1e6).toFixed(1)} MB (page cache warm after the first round)\n`);

    const floor = cProgram('symtab_index');
    // The file is all but its tables, so reading it whole reads the bytes lib/symbols' positioned reads of the
    // tables would (one copy out of the page cache either way), without a copy here of its private fileSource.
    const ours = () => {
      const source = bufferSource(fs.readFileSync(filePath));
      return new SymbolTable(readSymbolTables(source, readElfHeader(source)));
    };
    const elfinfo = elfinfoPath();
    const variants = {
      'C: pread, filter, sort (symtab_index.c)': () => {
        const [wall, cpu, kept] = execFileSync(floor, [filePath], { encoding: 'utf8' }).trim().split(' ').map(Number);
        return { wall, cpu, kept };
      },
      'memprobe: readSymbolTables + SymbolTable': () => {
        const { wall, cpu, result } = timed(ours);
        return { wall, cpu, kept: result.count };  // the table itself is not kept: seven of them would burden the GC
      },
      'readelf -sW > /dev/null': () => timedCommand('readelf -sW', filePath),
      'nm > /dev/null': () => timedCommand('nm', filePath),
    };
    if (elfinfo !== null) {
      variants['elfinfo: open(readFileSync(file)), in a child'] = () => elfinfoChild(elfinfo, filePath, 'parse');
    }
    // The floor and ours must agree on what they keep, or the comparison compares nothing.
    const check = [variants[Object.keys(variants)[0]](), variants[Object.keys(variants)[1]]()];
    if (check[0].kept !== check[1].kept) throw new Error(`the C floor kept ${check[0].kept} symbols, memprobe ${check[1].kept}`);

    const names = Object.keys(variants);
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length];
        samples[name].push(variants[name]());
      }
    }
    const [limit, ...others] = names;
    const cpu = (name) => samples[name].map((sample) => sample.cpu);
    const wall = (name) => median(samples[name].map((sample) => sample.wall));
    console.log(`Parsing the .symtab, median of ${ROUNDS} alternating rounds; ratio: the median of per-round ratios of time on the CPU`);
    console.log(`to the C floor's, spread: their lowest and highest. Both sides keep ${check[0].kept.toLocaleString('en')} symbols.\n`);
    console.log('| what | on the CPU | ratio to C | spread | wall clock |');
    console.log('|---|---|---|---|---|');
    console.log(`| ${limit} (the floor) | ${formatNs(median(cpu(limit)))} | 1.00x | | ${formatNs(wall(limit))} |`);
    for (const name of others) {
      const ratios = cpu(name).map((ns, round) => ns / cpu(limit)[round]);
      console.log(`| ${name} | ${formatNs(median(cpu(name)))} | ${median(ratios).toFixed(2)}x | ${spread(ratios)} | ${formatNs(wall(name))} |`);
    }
    if (elfinfo === null) console.log('\n(elfinfo not found: set ELFINFO_DIR to a directory with it installed for its row)');

    console.log('\nThe public calls on the object mapped into this process (mapFile); medians, the spread is the wall clock\'s:\n');
    console.log('| what | wall clock | on the CPU | note |');
    console.log('|---|---|---|---|');
    for (const row of lookupRows(made)) console.log(`| ${row.what} | ${row.time} | ${row.cpu} | ${row.note} |`);
    if (elfinfo !== null) {
      const { name, value } = made.probe;
      const { byName, byAddress } = elfinfoChild(elfinfo, filePath, 'lookups', name, String(value));
      console.log(`| elfinfo getSymbolByName('${name}'), after its parse | ${formatNs(byName)} | | for comparison: the package's own lookup, once |`);
      console.log(`| elfinfo getSymbolsAtVirtualMemoryLocation, after its parse | ${formatNs(byAddress)} | | for comparison, once |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Median wall clock and time on the CPU of `times` calls, and the spread of the wall clock around its median. */
function medianOf(times, fn) {
  const runs = [];
  for (let i = 0; i < times; i++) runs.push(timed(fn));
  const walls = runs.map((run) => run.wall);
  return { median: median(walls), cpu: median(runs.map((run) => run.cpu)), spread: spread(walls.map((ns) => ns / median(walls))) };
}

/** findSymbol and symbolize on the synthetic object mapped here: each answer is checked before it is timed. */
function lookupRows(made) {
  const { findSymbol, mapFile, readMaps, symbolize } = memprobe;
  const mapping = mapFile(made.filePath, made.loadSize);
  try {
    const { name, value } = made.probe;
    const options = { module: FILE_NAME };
    const first = timed(() => findSymbol(name, options));
    const expected = mapping.address + BigInt(value);
    if (first.result !== expected) throw new Error(`findSymbol('${name}') gave ${first.result}, not ${expected}`);
    const at = expected + 5n;
    const place = symbolize(at);
    if (place?.module !== FILE_NAME || place.symbol !== name || place.symbolOffset !== 5n) {
      throw new Error(`symbolize(${at}) gave ${JSON.stringify(place, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    }
    const find = medianOf(51, () => findSymbol(name, options));
    const one = medianOf(51, () => symbolize(at));
    const maps = medianOf(51, () => readMaps());
    const addresses = [];
    let seed = 12345;
    for (let i = 0; i < 100_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      addresses.push(mapping.address + BigInt(made.textStart + (seed % made.textSize)));
    }
    const batch = medianOf(9, () => symbolize(addresses));
    return [
      { what: `first findSymbol('${name}', { module }) (parses the object)`, time: formatNs(first.wall), cpu: formatNs(first.cpu), note: 'one parse, then cached while the object stays mapped' },
      { what: 'findSymbol, later calls', time: formatNs(find.median), cpu: formatNs(find.cpu), note: `spread ${find.spread}; a scan of ${SYMBOLS.toLocaleString('en')} name lengths, and one readMaps (${formatNs(maps.median)})` },
      { what: 'symbolize(one address), later calls', time: formatNs(one.median), cpu: formatNs(one.cpu), note: `spread ${one.spread}; a binary search, and the same readMaps` },
      { what: 'symbolize(100,000 addresses in the object)', time: formatNs(batch.median), cpu: formatNs(batch.cpu), note: `${(1e5 / batch.cpu * 1e3).toFixed(2)}M addresses/s on the CPU, ${(1e5 / batch.median * 1e3).toFixed(2)}M/s on the wall clock, spread ${batch.spread}` },
    ];
  } finally {
    mapping.unmap();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

module.exports = { writeObject };
