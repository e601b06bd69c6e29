// The README's recipe "Look into another process", exactly as shown there (test/readme.test.ts checks both are
// the same, compiles this under strict and runs it, comparing what it prints with the comments).
import { spawn } from 'node:child_process';
import { formatAddress, modules, parseAddress, readMaps, safeRead, scanMemory, scanReadable, symbolize } from 'memprobe';

// Another process (here a child, which says where its string is; any process you may ptrace will do).
const child = spawn(process.execPath, ['-e', `
  const secret = Buffer.from('a string in another process');
  process.send(String(require('memprobe').addressOf(secret)));
  process.on('disconnect', () => secret.length);  // keeps the string alive until the parent is done
`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

child.once('message', (message) => {
  const [pid, address] = [child.pid!, BigInt(String(message))];

  // Its maps as /proc/<pid>/maps lists them, and what is really readable (one read per page).
  const mapping = readMaps(pid).find((entry) => entry.start <= address && address < entry.end);
  console.log(mapping?.perms);                                                      // rw-p
  console.log(scanReadable({ pid }).some((range) => range.start <= address && address < range.end));  // true

  // Reads through process_vm_readv: the bytes or the fault, never a crash of either process.
  const read = safeRead(address, 27, { pid });
  console.log(read.ok, read.data.toString());                                       // true a string in another process
  console.log(safeRead(0n, 8, { pid }).fault?.code);                                // EFAULT

  // Its modules and symbols, from its maps and the ELF files it mapped: nothing injected, nothing stopped.
  console.log(modules(pid)[0].name, modules(pid).some((m) => m.name === '[vdso]'));   // node true
  const malloc = parseAddress('libc.so.6!malloc', { pid });                           // or findSymbol('malloc', …)
  const at = symbolize(malloc + 16n, { pid });
  console.log(`${at?.module}!${at?.symbol}+0x${at?.symbolOffset?.toString(16)}`);     // libc.so.6!malloc+0x10

  // Bytes (or a pattern in Frida's syntax, '61 20 ?? 74') in every readable range of the other process.
  const found = scanMemory(Buffer.from('a string in another'), { pid });
  console.log(found.includes(address), /^0x[0-9a-f]{12,}$/.test(formatAddress(found[0])));  // true true
  child.disconnect();
});
