// Builds a C Node-API fixture from test/fixtures (other native code sharing the process, for differential
// tests) with cc (or the compiler CC names: a cross compiler where the tests run under an emulator), against the
// headers of the Node that runs the tests, once per Node version.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The path of the built fixture `name` (test/fixtures/<name>.c): a Node-API module to require() in a child, or
 * with `program` a plain C program to run.
 */
export function buildFixture(name: string, { program = false } = {}): string {
  const source = path.join(__dirname, '..', 'fixtures', `${name}.c`);
  const headers = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  const directory = path.join(os.tmpdir(), 'memprobe-fixtures', `${process.version}-${process.arch}-${process.pid}`);
  const output = path.join(directory, program ? name : `${name}.node`);
  if (!fs.existsSync(output)) {
    fs.mkdirSync(directory, { recursive: true });
    execFileSync(process.env.CC || 'cc', [...(program ? [] : ['-shared', '-fPIC']), '-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', `-I${headers}`, '-DNAPI_VERSION=8', '-o', output, source]);
  }
  return output;
}
