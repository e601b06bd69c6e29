// Reading memory that an FFI call returned (README, "Pointers from FFI libraries"). koffi 2.x hands pointers to
// JavaScript as External objects, and koffi.address() gives the address as a bigint; koffi 3.x gives bigints.
import * as koffi from 'koffi';
import { formatAddress, safeRead } from 'memprobe';

const libc = koffi.load('libc.so.6');
const strdup = libc.func('void *strdup(const char *)');
const free = libc.func('void free(void *)');

const pointer: unknown = strdup('memory from C');
const address = typeof pointer === 'bigint' ? pointer : koffi.address(pointer);
const r = safeRead(address, 13);
console.log(r.ok, r.data.toString());               // true memory from C
console.log(/^0x[0-9a-f]{12,}$/.test(formatAddress(address)));  // true
free(pointer);

// A pointer C just freed, or any other address, is still only a value: never a crash.
console.log(safeRead(0x10n, 8).fault?.code);       // SEGV_MAPERR
