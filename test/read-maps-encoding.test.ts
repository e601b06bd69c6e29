// readMaps(pid?, { encoding: 'buffer' }): the kernel's bytes of each path, as Node's fs gives names with
// { encoding: 'buffer' }, so a file whose name is not valid UTF-8 can still be named.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { mapFile, pageSize, readMaps } from '../lib';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe maps encoding '));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A name in `dir` that is not UTF-8: a lone continuation byte, 0xff/0xfe, a lead byte without its continuation. */
function oddName(tag: string): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/${tag} `), Buffer.from([0xff, 0xfe]), Buffer.from(' not '), Buffer.from([0xc3, 0x28]), Buffer.from(' utf-8 '), Buffer.from([0x80]), Buffer.from('.bin')]);
}

/** Each line's path as the raw bytes after the five fields and the padding, split from the file by hand. */
function rawPaths(maps: Buffer): Buffer[] {
  const paths: Buffer[] = [];
  for (let start = 0; start < maps.length;) {
    const newline = maps.indexOf(0x0a, start);
    const line = maps.subarray(start, newline < 0 ? maps.length : newline);
    start = newline < 0 ? maps.length : newline + 1;
    let at = 0;
    for (let field = 0; field < 5; field++) {
      while (at < line.length && line[at] !== 0x20) at++;
      while (at < line.length && line[at] === 0x20) at++;
    }
    paths.push(Buffer.from(line.subarray(at)));
  }
  return paths;
}

test('this process: the path of a file whose name is not UTF-8 names it as a Buffer; decoded, it does not', () => {
  const name = oddName('self');
  fs.writeFileSync(name, Buffer.alloc(pageSize, 5));
  // mapFile takes a string: map the file through its descriptor's /proc link, which opens the same file.
  const fd = fs.openSync(name, 'r');
  const mapping = mapFile(`/proc/self/fd/${fd}`, pageSize);
  fs.closeSync(fd);
  try {
    const entry = readMaps(undefined, { encoding: 'buffer' }).find((candidate) => candidate.start === mapping.address);
    expect(Buffer.isBuffer(entry?.path)).toBe(true);
    expect(entry!.path.equals(name)).toBe(true);
    expect(fs.readFileSync(entry!.path)).toEqual(Buffer.alloc(pageSize, 5));
    // The default decodes as UTF-8: each invalid sequence becomes U+FFFD, and the name no longer finds the file.
    const decoded = readMaps().find((candidate) => candidate.start === mapping.address);
    expect(decoded?.path).toBe(name.toString('utf8'));
    expect(decoded?.path).toContain('\ufffd');
    expect(fs.existsSync(decoded!.path)).toBe(false);
    expect(readMaps(process.pid, { encoding: 'utf8' }).find((candidate) => candidate.start === mapping.address)?.path).toBe(decoded?.path);
  } finally {
    mapping.unmap();
  }
});

test('another process: every path is the kernel\'s bytes, the other fields as with strings', async () => {
  // python3 (node-gyp's prerequisite) creates the file under its byte name and maps it.
  const script = `
import mmap, os, sys
name = bytes.fromhex(sys.argv[1])
with open(name, 'wb') as f:
    f.write(b'\\x06' * 4096)
with open(name, 'rb') as f:
    mapped = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
print('ready', flush=True)
sys.stdin.read()
`;
  const name = oddName('python');
  const python = spawn('python3', ['-c', script, name.toString('hex')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(python, 'exit');
  try {
    await once(python.stdout, 'data');
    const pid = python.pid!;
    // The maps of a quiet process: read until two reads agree around readMaps.
    for (;;) {
      const before = fs.readFileSync(`/proc/${pid}/maps`);
      const entries = readMaps(pid, { encoding: 'buffer' });
      const strings = readMaps(pid);
      if (!fs.readFileSync(`/proc/${pid}/maps`).equals(before)) continue;
      expect(entries.map((entry) => entry.path)).toEqual(rawPaths(before));
      expect(entries.map((entry) => ({ ...entry, path: entry.path.toString('utf8') }))).toEqual(strings);
      const mapped = entries.filter((entry) => entry.path.equals(name));
      expect(mapped).toHaveLength(1);
      expect(fs.readFileSync(mapped[0].path)).toEqual(Buffer.alloc(4096, 6));
      break;
    }
  } finally {
    python.stdin.end();
    await exited;
  }
});

test('options: only encoding, only \'utf8\' or \'buffer\', as ERR_INVALID_ARG_VALUE; not an object, ERR_INVALID_ARG_TYPE', () => {
  expect(() => readMaps(undefined, { encodings: 'buffer' } as never)).toThrow(expect.objectContaining({
    name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE',
    message: 'The "options" argument must be an object with no properties other than \'encoding\'. Received an object with the unknown property \'encodings\'',
  }));
  for (const encoding of ['latin1', 'hex', 'base64', 'BUFFER', null, 8]) {
    expect(() => readMaps(undefined, { encoding } as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
  }
  expect(() => readMaps(undefined, { encoding: 'latin1' } as never)).toThrow('The "options.encoding" argument must be \'utf8\' or \'buffer\'. Received type string (\'latin1\')');
  expect(() => readMaps(undefined, 'buffer' as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => readMaps(undefined, null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(readMaps(undefined, {}).every((entry) => typeof entry.path === 'string')).toBe(true);
  expect(readMaps(undefined, { encoding: 'utf-8' }).every((entry) => typeof entry.path === 'string')).toBe(true);
});
