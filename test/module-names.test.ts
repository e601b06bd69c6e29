// findModule (and a module named in findSymbol or an address expression) by more than the maps' own words: the
// object's DT_SONAME, and a path that names the same file another way (a symbolic link, ldd's /lib for /usr/lib, a
// path relative to the process's working directory). Exact names and paths come first, then sonames, then files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { findModule, findSymbol, modules, parseAddress, readMaps, symbolize, type Module } from '../lib';
import { testNeeding } from './helpers/capabilities';
import { compilerMissing, buildSharedLibrary, LIBRARY_FILE, LIBRARY_FUNCTION, LIBRARY_SONAME } from './helpers/shared-library';
import { buildSymbolsTargets, startSymbolsTarget, stopSymbolsTargets, toolAvailable } from './helpers/symbols-target';

const lddMissing = toolAvailable('ldd') ? null : 'ldd is not installed';
const readelfMissing = toolAvailable('readelf') ? null : 'readelf is not installed';
const vdsoMissing = readMaps().some((entry) => entry.path === '[vdso]') ? null : 'this process has no vDSO (vdso=0 on the kernel command line)';

/** What ldd says an executable loads: each `name => path` line's path (the paths the loader searched, not the maps'). */
function lddPaths(executable: string): string[] {
  const run = spawnSync('ldd', [executable], { encoding: 'utf8' });
  return [...run.stdout.matchAll(/=>\s+(\/\S+)\s+\(0x/g)].map((match) => match[1]);
}

/** DT_SONAME of a file as `readelf -d` prints it, or null. */
function readelfSoname(file: string): string | null {
  const run = spawnSync('readelf', ['-dW', file], { encoding: 'utf8' });
  return /\(SONAME\)\s+Library soname: \[([^\]]+)\]/.exec(run.stdout)?.[1] ?? null;
}

afterAll(stopSymbolsTargets);

describe('a process with a library preloaded twice: under its versioned name, and as a copy named like its soname', () => {
  let directory: string;
  let versioned: string;   // .../a/libmemprobe-names.so.1.2.3, soname libmemprobe-names.so.1
  let namedLikeSoname: string;   // .../b/libmemprobe-names.so.1, another file with the same soname
  let link: string;   // .../c/any-name.so -> versioned
  let child: ChildProcess;
  let pid: number;
  let alone: ChildProcess;   // the versioned file alone preloaded: nothing has its soname as a name

  beforeAll(async () => {
    if (compilerMissing !== null) return;
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-module-names-'));
    for (const sub of ['a', 'b', 'c']) fs.mkdirSync(path.join(directory, sub));
    versioned = fs.realpathSync(buildSharedLibrary(path.join(directory, 'a')));
    namedLikeSoname = fs.realpathSync(buildSharedLibrary(path.join(directory, 'b'), LIBRARY_SONAME));
    link = path.join(directory, 'c', 'any-name.so');
    fs.symlinkSync(versioned, link);
    // The loader identifies a preloaded path by its file (device and inode), not its soname: both are loaded.
    child = spawn('sleep', ['1000'], { cwd: path.join(directory, 'a'), stdio: 'ignore', env: { ...process.env, LD_PRELOAD: `${versioned} ${namedLikeSoname}` } });
    pid = child.pid!;
    alone = spawn('sleep', ['1000'], { stdio: 'ignore', env: { ...process.env, LD_PRELOAD: versioned } });
    const deadline = Date.now() + 10_000;
    const loaded = (target: ChildProcess, file: string) => fs.readFileSync(`/proc/${target.pid}/maps`, 'utf8').includes(file);
    while (!loaded(child, namedLikeSoname) || !loaded(alone, versioned)) {
      if (Date.now() > deadline) throw new Error('the preloaded libraries never appeared in the maps');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  afterAll(async () => {
    for (const target of [child, alone]) {
      if (target === undefined) continue;
      const exited = once(target, 'exit');
      target.kill('SIGKILL');
      await exited;
    }
    if (directory !== undefined) fs.rmSync(directory, { recursive: true, force: true });
  });

  const byPath = (file: string): Module => modules(pid).find((m) => m.path === file)!;
  const withCompiler = testNeeding(compilerMissing);

  withCompiler('both are modules, each under its own file name', () => {
    expect([byPath(versioned)?.name, byPath(namedLikeSoname)?.name]).toEqual([LIBRARY_FILE, LIBRARY_SONAME]);
  });

  withCompiler('the soname finds the object whose DT_SONAME it is, unless a module has it as its exact name', () => {
    const only = modules(alone.pid!).find((m) => m.path === versioned);
    expect(only?.name).toBe(LIBRARY_FILE);
    expect(findModule(LIBRARY_SONAME, { pid: alone.pid! })).toEqual(only);
    expect(parseAddress(`${LIBRARY_SONAME}+0x10`, { pid: alone.pid! })).toBe(only!.base + 0x10n);
    // The copy's file name is the soname: the exact name wins over the versioned file's soname.
    expect(findModule(LIBRARY_SONAME, { pid })).toEqual(byPath(namedLikeSoname));
    // The versioned file's own name and path are exact.
    expect(findModule(LIBRARY_FILE, { pid })).toEqual(byPath(versioned));
    expect(findModule(versioned, { pid })).toEqual(byPath(versioned));
  });

  withCompiler('a symbolic link, and a path relative to the process\'s working directory, name the same file', () => {
    expect(findModule(link, { pid })).toEqual(byPath(versioned));
    expect(findModule(`./${LIBRARY_FILE}`, { pid })).toEqual(byPath(versioned));   // the child runs in a/
    expect(findModule(`../b/${LIBRARY_SONAME}`, { pid })).toEqual(byPath(namedLikeSoname));
    // This process's own working directory means nothing for another one.
    expect(findModule(`./${LIBRARY_FILE}`)).toBeNull();
  });

  withCompiler('findSymbol and parseAddress take the same names for `module`', () => {
    const exact = findSymbol(LIBRARY_FUNCTION, { module: versioned, pid });
    expect(exact).not.toBeNull();
    expect(findSymbol(LIBRARY_FUNCTION, { module: link, pid })).toBe(exact);
    expect(parseAddress(`${link}!${LIBRARY_FUNCTION}+4`, { pid })).toBe(exact! + 4n);
    expect(symbolize(exact! + 4n, { pid })).toEqual({ module: LIBRARY_FILE, offset: exact! - byPath(versioned).base + 4n, symbol: LIBRARY_FUNCTION, symbolOffset: 4n });
    // The copy is another file: its function is elsewhere.
    expect(findSymbol(LIBRARY_FUNCTION, { module: LIBRARY_SONAME, pid })).not.toBe(exact);
  });

  withCompiler('null for a path to a file not mapped, to nothing, and for a soname nothing has', () => {
    fs.writeFileSync(path.join(directory, 'c', 'not-mapped.so'), 'x');
    expect(findModule(path.join(directory, 'c', 'not-mapped.so'), { pid })).toBeNull();
    expect(findModule(path.join(directory, 'c', 'nothing-here.so'), { pid })).toBeNull();
    expect(findModule('libmemprobe-nothing.so.7', { pid })).toBeNull();
    expect(findModule('', { pid })).toBeNull();
  });
});

describe('libraries named as ldd and the loader name them', () => {
  testNeeding(lddMissing)('every library ldd lists for the fixture is found by ldd\'s path, as the module the maps show', async () => {
    const target = await startSymbolsTarget('pie');
    try {
      const paths = lddPaths(buildSymbolsTargets().pie);
      expect(paths.some((file) => path.basename(file) === 'libc.so.6')).toBe(true);
      for (const file of paths) {
        const found = findModule(file, { pid: target.pid });
        expect([file, found?.path]).toEqual([file, fs.realpathSync(file)]);
      }
    } finally {
      await target.stop();
    }
  });

  testNeeding(lddMissing)('this process: libc and libm by ldd\'s paths of Node', () => {
    const paths = lddPaths(process.execPath).filter((file) => /\/lib(c|m)\.so\.6$/.test(file));
    expect(paths.length).toBe(2);
    for (const file of paths) expect([file, findModule(file)?.path]).toEqual([file, fs.realpathSync(file)]);
  });

  testNeeding(readelfMissing)('this process: each library\'s DT_SONAME (as readelf reads it from the file) finds it, where no module has that exact name', () => {
    const all = modules();
    let differing = 0;
    for (const m of all) {
      if (!m.path.startsWith('/')) continue;
      const soname = readelfSoname(m.path);
      if (soname === null || all.some((other) => other.name === soname || other.path === soname)) continue;
      differing++;
      expect([soname, findModule(soname)]).toEqual([soname, m]);
    }
    // Node links libstdc++ (libstdc++.so.6 for libstdc++.so.6.0.x) unless built statically: say when nothing was checked.
    if (differing === 0) console.warn('no library of this process has a soname other than its file name: only the fixture library checks it');
  });

  testNeeding(vdsoMissing)('the vDSO by its soname, read from its unrelocated dynamic section', () => {
    expect(findModule('linux-vdso.so.1')).toEqual(modules().find((m) => m.name === '[vdso]'));
  });
});
