// The page fixtures (mapPages, mapFile, protect, unmap) and reading another process with { pid }.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';

import {
  hexdump, isReadable, mapFile, mapPages, pageSize, probe, probeMany, probeManyAsync, ProbeCode, readCString, readF32, readF64, readI16,
  readI32, readI64, readI8, readMaps, readPointer, readU16, readU32, readU64, readU8, readUtf16, readUtf8, safeMemcpy, safeMemcpyAsync,
  safeRead, safeReadAsync, scanMemory, scanMemoryIter, scanReadable, SystemError, writeF32, writeF64, writeI16, writeI32, writeI64,
  writeI8, writePointer, writeU16, writeU32, writeU64, writeU8,
} from '../lib';
import { commandFor, runChild, spawnNode } from './helpers/child';

const P = pageSize;

describe('mapPages', () => {
  test('maps page-sized, page-aligned, zeroed memory with the protection asked for', () => {
    const mapping = mapPages(3);
    try {
      expect(mapping.size).toBe(3 * P);
      expect(mapping.address % BigInt(P)).toBe(0n);
      expect(safeRead(mapping.address, 3 * P).data.equals(Buffer.alloc(3 * P))).toBe(true);
      mapping.protect(P, P, 'none');
      expect(safeRead(mapping.address, 3 * P).bytesCopied).toBe(P);
      mapping.protect(P, P, 'r');
      expect(safeRead(mapping.address, 3 * P).ok).toBe(true);
    } finally {
      mapping.unmap();
    }
    const readOnly = mapPages(1, 'r');
    expect(safeRead(readOnly.address, 8).ok).toBe(true);
    readOnly.unmap();
  });

  test('unmap by parts, and never twice: released pages are refused', () => {
    const mapping = mapPages(4);
    mapping.unmap(P, P);
    expect(safeRead(mapping.address + BigInt(P), 1).fault?.code).toBe('SEGV_MAPERR');
    expect(() => mapping.protect(0, 2 * P, 'r')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    mapping.unmap();  // the rest; the released page is not passed to munmap again
    expect(safeRead(mapping.address, 1).fault?.code).toBe('SEGV_MAPERR');
    expect(() => mapping.unmap()).not.toThrow();
  });

  test('bad arguments', () => {
    expect(() => mapPages(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => mapPages(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => mapPages('1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => mapPages(1, 'wx' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("'rwx'") }));
    const mapping = mapPages(2);
    try {
      expect(() => mapping.protect(1, P, 'r')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('multiple of the page size') }));
      expect(() => mapping.protect(0, 3 * P, 'r')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => mapping.unmap(P, 2 * P)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => mapping.protect(0, P, 'toString' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    } finally {
      mapping.unmap();
    }
  });

  test('a system call that fails throws a SystemError with code and syscall', () => {
    let error: unknown;
    try {
      mapPages(2 ** 40);  // 4 PiB: more than the address space allows
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: 'ENOMEM', syscall: 'mmap', errno: os.constants.errno.ENOMEM });
  });
});

describe('mapFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('maps a file read-only and private by default; shared writable mappings write through', () => {
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, 'hello, mapped world');
    const mapping = mapFile(file, 19);
    try {
      expect(mapping.size).toBe(P);
      expect(safeRead(mapping.address, 19).data.toString()).toBe('hello, mapped world');
      expect(safeRead(mapping.address + 19n, P - 19).data.every((b) => b === 0)).toBe(true);
      const write = safeMemcpy(mapping.address, Buffer.from('H'), 1);
      expect(write.fault).toMatchObject({ code: 'SEGV_ACCERR', access: 'write' });
    } finally {
      mapping.unmap();
    }
    const shared = mapFile(file, 19, { shared: true, writable: true });
    try {
      expect(safeMemcpy(shared.address, Buffer.from('H'), 1).ok).toBe(true);
    } finally {
      shared.unmap();
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('Hello, mapped world');
  });

  test('errors: a missing file, bad options', () => {
    expect(() => mapFile(path.join(dir, 'missing'), 10)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open' }));
    expect(() => mapFile(42 as never, 10)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => mapFile(path.join(dir, 'x'), 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => mapFile(path.join(dir, 'x'), 1, { shared: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('a path with a NUL byte is refused, as Node\'s fs refuses it, instead of mapping the file it would name', () => {
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, 'not this one');
    expect(() => fs.readFileSync(`${file}\0.txt`)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => mapFile(`${file}\0.txt`, 10)).toThrow(expect.objectContaining({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: `The "path" argument must be a string without null bytes. Received '${file}\\x00.txt'`,
    }));
  });

  test('a FIFO is refused at once, without waiting for a writer; so are directories and devices', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // In a child: opening a FIFO for reading without O_NONBLOCK blocks until someone opens it for writing.
    const child = runChild(`
      for (const options of [{}, { shared: true, writable: true }]) {
        try {
          memprobe.mapFile(${JSON.stringify(fifo)}, 4096, options);
          console.log('mapped');
        } catch (error) {
          console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
        }
      }`, { timeoutMs: 10_000 });
    expect(child).toMatchObject({ status: 0, signal: null, stderr: '' });
    const refusal = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: `The "path" argument must be a regular file. Received '${fifo}', a FIFO` };
    expect(child.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([refusal, refusal]);

    const refused = (what: string, kind: string) => expect(() => mapFile(what, 4096)).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARG_VALUE', message: `The "path" argument must be a regular file. Received '${what}', ${kind}`,
    }));
    refused(dir, 'a directory');
    refused('/dev/zero', 'a character device');
  });
});

describe('reading another process', () => {
  test('reads a buffer of a child process by its address, and reports a fault past its mapping', async () => {
    const child = spawnNode(['-e', `
      const { addressOf } = require(${JSON.stringify(path.join(__dirname, '..'))});
      const secret = Buffer.from('the child says hello');
      console.log(addressOf(secret).toString());
      process.stdin.on('data', () => process.exit(0));`], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = await once(child.stdout, 'data');
      const address = BigInt(String(line).trim());
      const read = safeRead(address, 20, { pid: child.pid! });
      expect(read.ok).toBe(true);
      expect(read.data.toString()).toBe('the child says hello');
      const async = await safeReadAsync(address, 20, { pid: child.pid!, strategy: 'syscall' });
      expect(async.data.toString()).toBe('the child says hello');
      const faulted = safeRead(0x1000n, 8, { pid: child.pid! });
      expect(faulted).toMatchObject({ ok: false, bytesCopied: 0, fault: { code: 'EFAULT', signal: null, address: 0x1000n, access: 'read' } });
    } finally {
      child.stdin!.end('done');
      await once(child, 'exit');
    }
  });

  test('a process that does not exist: a SystemError ESRCH from process_vm_readv that names the pid', async () => {
    const gone = spawnNode(['-e', '']);
    await once(gone, 'exit');
    const expected = {
      name: 'SystemError', code: 'ESRCH', errno: os.constants.errno.ESRCH, syscall: 'process_vm_readv', pid: gone.pid,
      message: `process_vm_readv failed for pid ${gone.pid}: ESRCH (No such process). No process or thread has this id, or it has exited and is not yet reaped (a zombie, with no memory left to read).`,
    };
    expect(() => safeRead(0x1000n, 8, { pid: gone.pid! })).toThrow(expect.objectContaining(expected));
    await expect(safeReadAsync(0x1000n, 8, { pid: gone.pid! })).rejects.toMatchObject(expected);
    await expect(safeReadAsync(0x1000n, 8, { pid: gone.pid! })).rejects.toBeInstanceOf(SystemError);
  });

  /** The state letter of /proc/<pid>/stat (R, S, Z…); its command name may hold any byte, ')' too. */
  function stateOf(pid: number): string {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2];
  }

  /** A zombie whose parent is alive: the child of a python3 (node-gyp's prerequisite) that forks and never waits
   * (a shell may reap its background jobs). Resolves once the kernel shows the child as exited (state Z). */
  async function startZombie(): Promise<{ pid: number; end: () => Promise<void> }> {
    const script = 'import os, sys\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\nsys.stdin.read()\n';
    const parent = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = once(parent, 'exit');
    const [line] = await once(parent.stdout!, 'data');
    const pid = Number(String(line).trim());
    while (stateOf(pid) !== 'Z') await new Promise((resolve) => setTimeout(resolve, 5));
    return { pid, end: async () => { parent.stdin!.end(); await exited; } };
  }

  /** What every { pid } API throws for `pid`: what safeRead({ pid }) throws. */
  function esrch(pid: number, syscall = 'process_vm_readv'): object {
    const access = syscall === 'process_vm_writev' ? 'write' : 'read';
    return {
      name: 'SystemError', code: 'ESRCH', errno: os.constants.errno.ESRCH, syscall, pid,
      message: `${syscall} failed for pid ${pid}: ESRCH (No such process). No process or thread has this id, or it has exited and is not yet reaped (a zombie, with no memory left to ${access}).`,
    };
  }

  async function expectEveryPidApiGone(pid: number): Promise<void> {
    const expected = esrch(pid);
    const addresses = new BigUint64Array([0x1000n, 0x7f00_0000_0000n]);
    expect(() => safeRead(0x1000n, 8, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => probeMany(addresses, { pid })).toThrow(expect.objectContaining(expected));
    await expect(probeManyAsync(addresses, { pid })).rejects.toMatchObject(expected);
    expect(() => scanReadable({ pid })).toThrow(expect.objectContaining(expected));
    expect(() => scanMemory('00 00', { pid })).toThrow(expect.objectContaining(expected));
    expect(() => scanMemoryIter('00 00', { pid })).toThrow(expect.objectContaining(expected));
    expect(() => readMaps(pid)).toThrow(expect.objectContaining(expected));
    // The reads and writes that take { pid }: typed values, strings, hexdump, probe, isReadable, safeMemcpy.
    for (const read of [readU8, readU16, readU32, readU64, readI8, readI16, readI32, readI64, readF32, readF64, readPointer]) {
      expect(() => read(0x1000n, { pid })).toThrow(expect.objectContaining(expected));
    }
    expect(() => readCString(0x1000n, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => readUtf8(0x1000n, 8, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => readUtf16(0x1000n, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => hexdump(0x1000n, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => probe(0x1000n, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => isReadable(0x1000n, 8, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => isReadable(0x1000n, 0, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => safeMemcpy(Buffer.alloc(8), 0x1000n, 8, { pid })).toThrow(expect.objectContaining(expected));
    // Nothing to read still asks the kernel: an empty read of a process that is gone is no success.
    expect(() => safeRead(0x1000n, 0, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => readCString(0x1000n, { pid, maxLength: 0 })).toThrow(expect.objectContaining(expected));
    expect(() => readUtf8(0x1000n, 0, { pid })).toThrow(expect.objectContaining(expected));
    expect(() => hexdump(0x1000n, { pid, length: 0 })).toThrow(expect.objectContaining(expected));
    const written = esrch(pid, 'process_vm_writev');
    for (const write of [writeU8, writeU16, writeU32, writeU64, writeI8, writeI16, writeI32, writeI64, writeF32, writeF64, writePointer]) {
      expect(() => write(0x1000n, 1, { pid })).toThrow(expect.objectContaining(written));
    }
    expect(() => safeMemcpy(0x1000n, Buffer.alloc(8), 8, { pid })).toThrow(expect.objectContaining(written));
    expect(() => safeMemcpy(0x1000n, Buffer.alloc(8), 0, { pid })).toThrow(expect.objectContaining(written));
    await expect(safeMemcpyAsync(0x1000n, Buffer.alloc(8), 8, { pid })).rejects.toMatchObject(written);
  }

  test('a zombie (exited, not yet reaped) is gone for every { pid } API, not a process with nothing mapped', async () => {
    const zombie = await startZombie();
    try {
      expect(fs.readFileSync(`/proc/${zombie.pid}/maps`, 'utf8')).toBe('');
      await expectEveryPidApiGone(zombie.pid);
      expect(stateOf(zombie.pid)).toBe('Z');
    } finally {
      await zombie.end();
    }
  });

  test('a vanished pid is gone for every { pid } API, with the same error', async () => {
    await expectEveryPidApiGone(spawnSync('true').pid!);
  });

  test('a kernel thread has empty maps too, and is no error: nothing of it is mapped', async () => {
    // PF_KTHREAD in the flags (field 9) of /proc/<pid>/stat; a PID namespace may show none.
    const kernelThread = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).find((pid) => {
      try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
        return (Number(fields[6]) & 0x00200000) !== 0;
      } catch {
        return false;
      }
    });
    if (kernelThread === undefined) {
      console.warn('skipped: no kernel thread is visible in this PID namespace');
      return;
    }
    const addresses = new BigUint64Array([0x1000n, 0x7f00_0000_0000n]);
    expect(readMaps(kernelThread)).toEqual([]);
    expect(Array.from(probeMany(addresses, { pid: kernelThread }))).toEqual([ProbeCode.unmapped, ProbeCode.unmapped]);
    expect(Array.from(await probeManyAsync(addresses, { pid: kernelThread }))).toEqual([ProbeCode.unmapped, ProbeCode.unmapped]);
    expect(scanReadable({ pid: kernelThread })).toEqual([]);
    expect(scanMemory('00 00', { pid: kernelThread })).toEqual([]);
  });

  test('a scan whose target dies midway throws ESRCH instead of returning what it found so far', async () => {
    for (const iterate of [false, true]) {
      const target = spawnNode(['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'inherit'] });
      const exited = once(target, 'exit');
      await once(target, 'spawn');
      const pid = target.pid!;
      // After the first chunk, the target is killed; its exit is not yet waited for (this thread is busy), so it
      // is a zombie by the next chunk.
      let chunks = 0;
      const onProgress = (): void => {
        if (++chunks !== 1) return;
        target.kill('SIGKILL');
        while (stateOf(pid) !== 'Z');
      };
      const scan = async (): Promise<bigint[]> => {
        if (!iterate) return scanMemory('de ad be ef 0b ad f0 0d', { pid, onProgress });
        const found: bigint[] = [];
        for await (const match of scanMemoryIter('de ad be ef 0b ad f0 0d', { pid, onProgress })) found.push(match);
        return found;
      };
      await expect(scan()).rejects.toMatchObject(esrch(pid));
      expect(chunks).toBe(1);
      await exited;
    }
  });

  test('a process this one may not trace: EPERM that names the pid and the likely causes', () => {
    // Reading a process that holds capabilities the reader lacks needs CAP_SYS_PTRACE. As root, a child with
    // CAP_SYS_PTRACE dropped (setpriv) reads this process; otherwise this process's child reads pid 1 (root's).
    const asRoot = process.getuid!() === 0;
    const target = asRoot ? process.pid : 1;
    if (!asRoot) expect(fs.readFileSync('/proc/1/status', 'utf8')).toMatch(/^Uid:\s+0\s/m);
    const script = `
      const memprobe = require(${JSON.stringify(path.join(__dirname, '..'))});
      const report = (e) => ({ name: e.name, code: e.code, syscall: e.syscall, pid: e.pid, message: e.message });
      const pid = ${target};
      const calls = [
        () => memprobe.safeRead(0x1000n, 8, { pid }), () => memprobe.readU32(0x1000n, { pid }), () => memprobe.readCString(0x1000n, { pid }),
        () => memprobe.readUtf8(0x1000n, 8, { pid }), () => memprobe.readUtf16(0x1000n, { pid }), () => memprobe.hexdump(0x1000n, { pid }),
        // 0x1000 is mapped in no process: the probes answer from the maps, yet must not pass for allowed.
        () => memprobe.probe(0x1000n, { pid }), () => memprobe.isReadable(0x1000n, 8, { pid }), () => memprobe.probeMany(new BigUint64Array([0x1000n]), { pid }),
        () => memprobe.scanReadable({ pid, start: 0x1000n, end: 0x2000n }), () => memprobe.safeRead(0x1000n, 0, { pid }),
        () => memprobe.safeMemcpy(Buffer.alloc(8), 0x1000n, 8, { pid }),
        () => memprobe.writeU32(0x1000n, 1, { pid }), () => memprobe.safeMemcpy(0x1000n, Buffer.alloc(8), 8, { pid }),
      ];
      for (const call of calls) {
        try { call(); console.log('"done"'); } catch (e) { console.log(JSON.stringify(report(e))); }
      }
      memprobe.safeReadAsync(0x1000n, 8, { pid }).then(() => console.log('"done"'), (e) => console.log(JSON.stringify(report(e))));`;
    const command = commandFor(process.execPath, ['-e', script]).flat();
    const dropPtrace = ['setpriv', '--bounding-set=-sys_ptrace', '--inh-caps=-sys_ptrace'];
    const [file, ...args] = asRoot ? [...dropPtrace, ...command] : command;
    const run = spawnSync(file, args, { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const refusal = {
      name: 'SystemError', code: 'EPERM', syscall: 'process_vm_readv', pid: target,
      message: `process_vm_readv failed for pid ${target}: EPERM (Operation not permitted). This process may not read that one: the kernel's ptrace access check refused it (a process of another user, one with capabilities this one lacks, or a non-dumpable one needs CAP_SYS_PTRACE; /proc/sys/kernel/yama/ptrace_scope 1 allows only descendants, 2 only CAP_SYS_PTRACE, 3 nobody), or a seccomp filter refuses the system call (common in containers).`,
    };
    const writeRefusal = {
      ...refusal, syscall: 'process_vm_writev',
      message: refusal.message.replace(/process_vm_readv/g, 'process_vm_writev').replace('may not read that one', 'may not write that one'),
    };
    // Every read and write with { pid } (typed, strings, hexdump, probes, scans, copies both ways), then safeReadAsync.
    expect(run.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([...Array(12).fill(refusal), writeRefusal, writeRefusal, refusal]);
  });

  test('EPERM on this process itself can only be a seccomp filter, and the message says so', () => {
    // No test can install a seccomp filter under Node; the message is built from (errno, pid) alone.
    const error = new SystemError('process_vm_readv', 'EPERM', os.constants.errno.EPERM, 'Operation not permitted', process.pid);
    expect(error.message).toBe(`process_vm_readv failed for pid ${process.pid} (this process): EPERM (Operation not permitted). A process may always read its own memory, so a seccomp filter refuses this system call here (common in containers); the signal strategy makes no system call.`);
    expect(new SystemError('mmap', 'ENOMEM', os.constants.errno.ENOMEM, 'Cannot allocate memory').message).toBe('mmap failed: ENOMEM (Cannot allocate memory)');
  });
});
