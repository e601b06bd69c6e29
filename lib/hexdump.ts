// hexdump(): bytes in xxd's layout (16 a line in groups of two, the address in hex, then the printable characters),
// so its output can be diffed against `xxd -o <address>` byte for byte.
import { invalidArgType } from './errors';
import { safeRead } from './memory';
import { toAddress } from './probe';
import type { Address } from './types';
import { checkLength } from './validate';

export interface HexdumpOptions {
  /** bytes to show: default all of a Uint8Array, 256 from an address */
  length?: number;
  /** the address shown for the first byte (xxd -o): default the address itself, or 0 for a Uint8Array */
  offset?: Address;
}

const DEFAULT_LENGTH = 256;
const BYTES_PER_LINE = 16;
const HEX_WIDTH = 39;  // 8 groups of 4 digits and the 7 spaces between them
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function printable(byte: number): string {
  return byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '.';
}

function format(bytes: Uint8Array, offset: bigint): string {
  let text = '';
  for (let line = 0; line < bytes.length; line += BYTES_PER_LINE) {
    const chunk = bytes.subarray(line, line + BYTES_PER_LINE);
    let hex = '';
    let characters = '';
    for (let i = 0; i < chunk.length; i++) {
      if (i > 0 && i % 2 === 0) hex += ' ';
      hex += HEX[chunk[i]];
      characters += printable(chunk[i]);
    }
    text += `${(offset + BigInt(line)).toString(16).padStart(8, '0')}: ${hex.padEnd(HEX_WIDTH)}  ${characters}\n`;
  }
  return text;
}

/**
 * Bytes in xxd's layout. From a Uint8Array: its bytes. From an address: the bytes read there, up to the first that
 * cannot be read (safeRead says why it stopped).
 */
export function hexdump(memory: Address | Uint8Array, options: HexdumpOptions = {}): string {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { length, offset } = options;
  if (length !== undefined) checkLength(length, 'options.length');
  if (memory instanceof Uint8Array) {
    const shown = offset === undefined ? 0n : toAddress(offset, 'options.offset');
    return format(memory.subarray(0, length ?? memory.length), shown);
  }
  if (typeof memory !== 'bigint' && typeof memory !== 'number') throw invalidArgType('memory', 'of type bigint or number (an address) or a Uint8Array', memory);
  const address = toAddress(memory, 'memory');
  const shown = offset === undefined ? address : toAddress(offset, 'options.offset');
  return format(safeRead(address, length ?? DEFAULT_LENGTH).data, shown);
}
