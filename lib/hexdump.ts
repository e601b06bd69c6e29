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
  /**
   * color each byte's hex digits and character with ANSI escapes, in the colors of `xxd -R always`: printable
   * green, tab, newline and carriage return yellow, NUL white, 0xff blue, the rest red; the visible text is the same
   */
  ansi?: boolean;
}

const DEFAULT_LENGTH = 256;
const BYTES_PER_LINE = 16;
const HEX_WIDTH = 39;  // 8 groups of 4 digits and the 7 spaces between them
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function printable(byte: number): string {
  return byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '.';
}

/** xxd's color digit for a byte (begin_coloring_char in xxd.c): 2 green, 3 yellow, 7 white, 4 blue, 1 red. */
function colorOf(byte: number): string {
  if (byte >= 0x20 && byte <= 0x7e) return '2';
  if (byte === 0x09 || byte === 0x0a || byte === 0x0d) return '3';
  if (byte === 0x00) return '7';
  return byte === 0xff ? '4' : '1';
}

const PLAIN = { hex: (byte: number) => HEX[byte], character: printable };
// xxd -R: ESC [ 1 ; 3 <color> m, the text, ESC [ 0 m.
const COLORED = {
  hex: (byte: number) => `\x1b[1;3${colorOf(byte)}m${HEX[byte]}\x1b[0m`,
  character: (byte: number) => `\x1b[1;3${colorOf(byte)}m${printable(byte)}\x1b[0m`,
};

function format(bytes: Uint8Array, offset: bigint, ansi: boolean): string {
  const style = ansi ? COLORED : PLAIN;
  let text = '';
  for (let line = 0; line < bytes.length; line += BYTES_PER_LINE) {
    const chunk = bytes.subarray(line, line + BYTES_PER_LINE);
    let hex = '';
    let width = 0;  // visible characters of `hex`
    let characters = '';
    for (let i = 0; i < chunk.length; i++) {
      if (i > 0 && i % 2 === 0) {
        hex += ' ';
        width++;
      }
      hex += style.hex(chunk[i]);
      width += 2;
      characters += style.character(chunk[i]);
    }
    text += `${(offset + BigInt(line)).toString(16).padStart(8, '0')}: ${hex}${' '.repeat(HEX_WIDTH - width)}  ${characters}\n`;
  }
  return text;
}

/**
 * Bytes in xxd's layout. From a Uint8Array: its bytes. From an address: the bytes read there, up to the first that
 * cannot be read (safeRead says why it stopped).
 */
export function hexdump(memory: Address | Uint8Array, options: HexdumpOptions = {}): string {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { length, offset, ansi = false } = options;
  if (length !== undefined) checkLength(length, 'options.length');
  if (typeof ansi !== 'boolean') throw invalidArgType('options.ansi', 'of type boolean', ansi);
  if (memory instanceof Uint8Array) {
    const shown = offset === undefined ? 0n : toAddress(offset, 'options.offset');
    return format(memory.subarray(0, length ?? memory.length), shown, ansi);
  }
  if (typeof memory !== 'bigint' && typeof memory !== 'number') throw invalidArgType('memory', 'of type bigint or number (an address) or a Uint8Array', memory);
  const address = toAddress(memory, 'memory');
  const shown = offset === undefined ? address : toAddress(offset, 'options.offset');
  return format(safeRead(address, length ?? DEFAULT_LENGTH).data, shown, ansi);
}
