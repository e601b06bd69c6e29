// hexdump(): bytes in xxd's layout (16 a line in groups of two, the address in hex, then the printable characters),
// so its output can be diffed against `xxd -o <address>` byte for byte.
import { invalidArgType, invalidArgValue } from '../common/errors';
import { safeRead } from '../memory/copy';
import { toAddress } from '../probe/probe';
import type { Address } from '../common/types';
import { checkLength, checkKnownOptions, checkPid } from '../common/validate';

/**
 * Options of {@link hexdump}.
 * @group Inspecting
 */
export interface HexdumpOptions {
  /** bytes to show: default all of a Uint8Array, 256 from an address */
  length?: number;
  /** the address shown for the first byte (xxd -o): default the address itself, or 0 for a Uint8Array */
  offset?: Address;
  /**
   * ANSI colors as `xxd -R always` prints them: a byte's hex digits and character green when printable, yellow for
   * tab, newline and carriage return, white for NUL, blue for 0xff, red otherwise; the visible text is the same
   */
  ansi?: boolean;
  /** another process, whose memory is read with process_vm_readv (an address only) */
  pid?: number;
}

const HEXDUMP_OPTIONS = ['length', 'offset', 'ansi', 'pid'];

const DEFAULT_LENGTH = 256;
const BYTES_PER_LINE = 16;
const HEX_WIDTH = 39;  // 8 groups of 4 digits and the 7 spaces between them
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function printable(byte: number): string {
  return byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '.';
}

/** xxd's color digit for a byte (get_color_char in xxd.c): 2 green, 3 yellow, 7 white, 4 blue, 1 red. */
function colorOf(byte: number): string {
  if (byte >= 0x20 && byte <= 0x7e) return '2';
  if (byte === 0x09 || byte === 0x0a || byte === 0x0d) return '3';
  if (byte === 0x00) return '7';
  return byte === 0xff ? '4' : '1';
}

// The address column wraps at 2^64 as xxd's unsigned arithmetic does (an offset near the top continues at 0).
function addressOf(offset: bigint, line: number): string {
  return `${BigInt.asUintN(64, offset + BigInt(line)).toString(16).padStart(8, '0')}:`;
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
    text += `${addressOf(offset, line)} ${hex.padEnd(HEX_WIDTH)}  ${characters}\n`;
  }
  return text;
}

/**
 * As `xxd -R always` prints it (xxd 2026-06, print_colored_line): the plain line, each character with a color (a
 * byte's hex digits and its character that byte's color; the padding of a short last line partly red, as xxd
 * pads it), one escape sequence per run of one color, reset where the run ends.
 */
function formatColored(bytes: Uint8Array, offset: bigint): string {
  let text = '';
  for (let line = 0; line < bytes.length; line += BYTES_PER_LINE) {
    const chunk = bytes.subarray(line, line + BYTES_PER_LINE);
    const address = addressOf(offset, line);
    const plain = `${address} ${''.padEnd(HEX_WIDTH)}  ${''.padEnd(chunk.length)}\n`.split('');
    const colors: string[] = new Array<string>(plain.length).fill('');
    const hexAt = (i: number) => address.length + 1 + Math.floor((5 * i) / 2);
    const characterAt = address.length + 3 + HEX_WIDTH;
    chunk.forEach((byte, i) => {
      const color = colorOf(byte);
      [plain[hexAt(i)], plain[hexAt(i) + 1]] = HEX[byte];
      colors[hexAt(i)] = colors[hexAt(i) + 1] = color;
      plain[characterAt + i] = printable(byte);
      colors[characterAt + i] = color;
    });
    const missing = BYTES_PER_LINE - chunk.length;
    for (let i = 0, at = hexAt(chunk.length) + missing + Math.floor(missing / 2); i < missing; i++) colors[at + i] = '1';
    let current = '';
    plain.forEach((character, i) => {
      if (colors[i] !== current) {
        if (current !== '') text += '\x1b[0m';
        if (colors[i] !== '') text += `\x1b[1;3${colors[i]}m`;
        current = colors[i];
      }
      text += character;
    });
  }
  return text;
}

/**
 * Bytes in xxd's layout. From a Uint8Array: its bytes. From an address: the bytes read there, up to the first that
 * cannot be read; the dump is then shorter than asked (or empty), and `safeRead(address, length)` of the same range
 * says where and why it stopped (`bytesCopied` and its `fault`). With `options.pid`, the address is in that process.
 * 16 bytes a line in groups of two, the address in hex, then the printable characters: the same text as
 * `xxd -o <offset>`.
 * @param memory - an address to read, or bytes JavaScript already has
 * @param options - how many bytes, the address shown for the first one, colors, and another process
 * @returns the dump, one line per 16 bytes, each ending in a newline (empty when nothing could be read)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `memory` is not an address or Uint8Array, `options` not an object, or one of its fields has the wrong type
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `length`, `offset`, `ansi` and `pid`, or `pid` is given with a Uint8Array
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when an address or `options.offset` is out of range, `options.length` is not a non-negative integer, or `options.pid` not a positive 32-bit integer
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 * @example
 * ```ts
 * import { hexdump } from 'memprobe';
 *
 * console.log(hexdump(Buffer.from('memprobe')));
 * // 00000000: 6d65 6d70 726f 6265                      memprobe
 * ```
 */
export function hexdump(memory: Address | Uint8Array, options: HexdumpOptions = {}): string {
  checkKnownOptions(options, HEXDUMP_OPTIONS);
  const { length, offset, ansi = false, pid } = options;
  if (length !== undefined) checkLength(length, 'options.length');
  if (typeof ansi !== 'boolean') throw invalidArgType('options.ansi', 'of type boolean', ansi);
  if (pid !== undefined) checkPid(pid);
  if (memory instanceof Uint8Array) {
    // Bytes JavaScript has are in no other process: a pid here is a mistake, not something to ignore.
    if (pid !== undefined) throw invalidArgValue('options.pid', 'undefined when memory is a Uint8Array (bytes this process already has)', pid);
    const shown = offset === undefined ? 0n : toAddress(offset, 'options.offset');
    const shownBytes = memory.subarray(0, length ?? memory.length);
    return ansi ? formatColored(shownBytes, shown) : format(shownBytes, shown);
  }
  if (typeof memory !== 'bigint' && typeof memory !== 'number') throw invalidArgType('memory', 'of type bigint or number (an address) or a Uint8Array', memory);
  const address = toAddress(memory, 'memory');
  const shown = offset === undefined ? address : toAddress(offset, 'options.offset');
  const read = safeRead(address, length ?? DEFAULT_LENGTH, pid === undefined ? undefined : { pid }).data;
  return ansi ? formatColored(read, shown) : format(read, shown);
}
