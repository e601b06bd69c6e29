// Two kernel lists that say more about a page than the maps do, for pages the maps call readable but a read says
// are not: pagemap's guard-region bit (MADV_GUARD_INSTALL, Linux 6.15: the page is unmapped inside a listed
// mapping) and the size of the file behind a mapping (a page past its end raises SIGBUS). Shared by the fuzzer's
// model (lib/probe/fuzz-model.ts) and the address-space picture (lib/watch/address-space-svg.ts). Read-only: nothing
// here touches the pages themselves.
import * as fs from 'node:fs';

import type { MapEntry } from './probe';

const GUARD_REGION_BIT = 58n;  // /proc/<pid>/pagemap: a guard region (MADV_GUARD_INSTALL), Linux 6.15

/**
 * @internal Per page of [first, end) of process `pid` (0: this one): whether pagemap marks it a guard region. All
 * false where pagemap cannot be read (an old kernel, a sandbox, another user's process).
 */
export function guardRegionBits(pid: number, first: bigint, end: bigint, page: bigint): boolean[] {
  const count = Number((end - first) / page);
  const bits = new Array<boolean>(count).fill(false);
  try {
    const fd = fs.openSync(`/proc/${pid === 0 ? 'self' : pid}/pagemap`, 'r');
    try {
      const bytes = Buffer.alloc(8 * count);
      const read = fs.readSync(fd, bytes, 0, bytes.length, Number((first / page) * 8n));
      for (let i = 0; i < Math.floor(read / 8); i++) bits[i] = ((bytes.readBigUInt64LE(8 * i) >> GUARD_REGION_BIT) & 1n) === 1n;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // no pagemap: no guard regions known
  }
  return bits;
}

/**
 * @internal The size of the file behind a mapping of process `pid` (0: this one), rounded up to whole pages; null for
 * anonymous memory or when unknown. The path is tried first, then the mapping's own link in map_files (the file may
 * have been replaced or deleted); a file whose inode is not the mapping's is not it.
 */
export function mappedFileSize(pid: number, entry: MapEntry, page: bigint): bigint | null {
  if (entry.inode === 0 || !entry.path.startsWith('/')) return null;
  const range = `${entry.start.toString(16)}-${entry.end.toString(16)}`;
  for (const path of [entry.path, `/proc/${pid === 0 ? 'self' : pid}/map_files/${range}`]) {
    try {
      const stat = fs.statSync(path, { bigint: true });
      if (stat.ino !== BigInt(entry.inode)) continue;
      return ((stat.size + page - 1n) / page) * page;
    } catch {
      continue;
    }
  }
  return null;
}
