// Byte patterns for scanMemory, in Frida's syntax (gum_match_pattern_new_from_string, Memory.scan): hex bytes,
// spaces between them optional ('48 8b ?? 05' or '488b??05'); '??' matches any byte; a nibble wildcard ('4?',
// '?4') matches half of one; a mask after a colon ('13 37 : 1f ff') is ANDed with both pattern and memory. At
// least one bit must be matched. Frida's regular expressions ('/…/') are not supported.
import { inspect } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';

/** @internal */
export interface CompiledPattern {
  bytes: Uint8Array;
  /** per byte: the bits that must match */
  masks: Uint8Array;
}

/** @internal Longer patterns are refused: a match is read whole, and windows overlap by the pattern's length. */
export const MAX_PATTERN_LENGTH = 65536;

const EXPECTED = "hex bytes with ?? wildcards and nibble masks, as Frida's Memory.scan ('48 8b ?? 05', '4?', '13 37 : ff 0f')";

class PatternError extends Error {
  constructor(readonly at: number, readonly why: string) {
    super(why);
  }
}

function hexDigit(character: string | undefined): number {
  if (character === undefined) return -1;
  const code = character.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** One half of a pattern ('13 ?7 ??' or a mask '1f ff'): a value and a mask per byte. `offset`: where it starts. */
function parseHalf(text: string, offset: number, wildcards: boolean): { bytes: number[]; masks: number[] } {
  const bytes: number[] = [];
  const masks: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (/\s/.test(text[i])) continue;
    let value = 0;
    let mask = 0;
    for (const nibble of [0, 1]) {
      const character = text[i + nibble];
      const where = offset + i + nibble;
      if (character === '?' && wildcards) continue;
      const digit = hexDigit(character);
      if (digit < 0) {
        if (character === undefined || /\s/.test(character)) {
          throw new PatternError(where - 1, `'${text[i]}' is half a byte; a byte is two characters${wildcards ? " ('4?', '??')" : ''}`);
        }
        const allowed = wildcards ? "a hex digit or '?'" : 'a hex digit';
        throw new PatternError(where, `'${character}' is not ${allowed}`);
      }
      value |= digit << (4 - 4 * nibble);
      mask |= 0xf << (4 - 4 * nibble);
    }
    bytes.push(value);
    masks.push(mask);
    i++;
  }
  return { bytes, masks };
}

function parseString(pattern: string): CompiledPattern {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    throw new PatternError(0, "regular expressions (Frida's '/…/') are not supported");
  }
  const colon = pattern.indexOf(':');
  if (colon >= 0 && pattern.indexOf(':', colon + 1) >= 0) throw new PatternError(pattern.indexOf(':', colon + 1), 'a second colon');
  const match = parseHalf(colon < 0 ? pattern : pattern.slice(0, colon), 0, true);
  if (match.bytes.length === 0) throw new PatternError(0, 'no bytes');
  if (colon >= 0) {
    const mask = parseHalf(pattern.slice(colon + 1), colon + 1, false);
    if (mask.bytes.length !== match.bytes.length) {
      throw new PatternError(colon, `the mask after the colon has ${mask.bytes.length} bytes, the pattern ${match.bytes.length}`);
    }
    mask.bytes.forEach((bits, index) => (match.masks[index] &= bits));
  }
  if (match.masks.every((mask) => mask === 0)) throw new PatternError(0, 'nothing to match: every bit is a wildcard');
  return { bytes: Uint8Array.from(match.bytes, (value, index) => value & match.masks[index]), masks: Uint8Array.from(match.masks) };
}

/** @internal A pattern argument, checked and compiled: ERR_INVALID_ARG_VALUE says where a string is wrong. */
export function compilePattern(pattern: unknown, name = 'pattern'): CompiledPattern {
  let compiled: CompiledPattern;
  if (typeof pattern === 'string') {
    try {
      compiled = parseString(pattern);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      throw invalidArgValue(name, EXPECTED, pattern, `${inspect(pattern)} (at character ${error.at + 1}: ${error.why})`);
    }
  } else if (pattern instanceof Uint8Array) {
    if (pattern.length === 0) throw invalidArgValue(name, 'a non-empty Uint8Array', pattern, 'an empty Uint8Array');
    compiled = { bytes: Uint8Array.from(pattern), masks: new Uint8Array(pattern.length).fill(0xff) };
  } else {
    throw invalidArgType(name, 'of type string or an instance of Uint8Array', pattern);
  }
  if (compiled.bytes.length > MAX_PATTERN_LENGTH) {
    throw outOfRange(name, `a pattern of at most ${MAX_PATTERN_LENGTH} bytes`, `${compiled.bytes.length} bytes`);
  }
  return compiled;
}
