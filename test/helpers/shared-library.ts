// A small shared library built by the tests, whose file name differs from its DT_SONAME as installed libraries'
// do (libmemprobe-names.so.1.2.3, soname libmemprobe-names.so.1): for lookups by soname and by another path, and
// for mapping an ELF object in and out of this process. Built with the system's C compiler into a directory of the
// caller's; `compilerMissing` says why it cannot be.
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const LIBRARY_SONAME = 'libmemprobe-names.so.1';
export const LIBRARY_FILE = 'libmemprobe-names.so.1.2.3';
/** an exported function of the library, and its offset in the file's address space (its st_value) */
export const LIBRARY_FUNCTION = 'memprobe_names_probe';

const SOURCE = `
int memprobe_names_counter;
int memprobe_names_probe(int x) { memprobe_names_counter += x; return memprobe_names_counter * 3 + 1; }
`;

/** Why no library can be built here (no C compiler), or null. */
export const compilerMissing: string | null = (() => {
  const run = spawnSync('cc', ['--version'], { stdio: 'ignore' });
  return (run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'no C compiler (cc) to build the test library' : null;
})();

/** Builds the library as `directory`/`name` (default LIBRARY_FILE) with LIBRARY_SONAME; returns its path. */
export function buildSharedLibrary(directory: string, name = LIBRARY_FILE): string {
  const output = path.join(directory, name);
  execFileSync('cc', ['-shared', '-fPIC', '-O2', `-Wl,-soname,${LIBRARY_SONAME}`, '-Wl,--build-id=sha1', '-o', output, '-x', 'c', '-'], { input: SOURCE });
  return output;
}
