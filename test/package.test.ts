// The package as users load it: CommonJS and ESM entry points by name, typed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { PACKAGE_ROOT, spawnNodeSync } from './helpers/child';

function runIn(root: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnNodeSync(args, { cwd: root, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('package entry points', () => {
  test('require("memprobe") and import from "memprobe" give the same named exports', () => {
    const names = "['safeMemcpy','safeRead','safeMemcpyAsync','safeReadAsync','addressOf','pageSize','mapPages','mapFile','guardStatus','SystemError']";
    const cjs = runIn(PACKAGE_ROOT, ['-e', `const m = require('memprobe'); console.log(${names}.map((n) => typeof m[n]).join())`]);
    const esm = runIn(PACKAGE_ROOT, ['--input-type=module', '-e', `import * as m from 'memprobe'; import { safeRead } from 'memprobe'; console.log(typeof safeRead, ${names}.map((n) => typeof m[n]).join())`]);
    expect(cjs).toEqual({ status: 0, stdout: 'function,function,function,function,function,number,function,function,function,function\n', stderr: '' });
    expect(esm).toEqual({ status: 0, stdout: 'function function,function,function,function,function,number,function,function,function,function\n', stderr: '' });
  });

  test('main and types point at built files', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    expect(fs.existsSync(path.join(PACKAGE_ROOT, manifest.main))).toBe(true);
    // The root declaration gathers the folders' public faces; the memory folder's declares safeMemcpy.
    expect(fs.readFileSync(path.join(PACKAGE_ROOT, manifest.types), 'utf8')).toContain("export * from './memory';");
    expect(fs.readFileSync(path.join(PACKAGE_ROOT, path.dirname(manifest.types), 'memory', 'index.d.ts'), 'utf8')).toMatch(/safeMemcpy/);
  });
});

describe('a package without any addon that fits', () => {
  test('says where it looked and how to build one, with what npm needs to run the install script', () => {
    // The package as installed with neither build/ nor prebuilds/ (a machine no prebuilt binary fits, whose
    // install script did not run): its JavaScript and dependencies only.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-no-addon-'));
    try {
      fs.cpSync(path.join(PACKAGE_ROOT, 'dist'), path.join(root, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(PACKAGE_ROOT, 'package.json'), path.join(root, 'package.json'));
      fs.symlinkSync(path.join(PACKAGE_ROOT, 'node_modules'), path.join(root, 'node_modules'));
      const run = runIn(root, ['-e', `try { require(${JSON.stringify(root)}); } catch (e) { console.log(e.message.split('\\n')[0]); }`]);
      expect(run.stdout.trim()).toMatch(/^memprobe: no native addon fits this machine \(looked in .*\)\. Build it from source with `npm rebuild memprobe --build-from-source` \(needs python3, make and g\+\+, and memprobe's install script allowed: not denied by the project's "allowScripts", no --ignore-scripts\)\.$/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

