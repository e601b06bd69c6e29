// Frida's match-pattern syntax (frida-gum tests/core/memory.c, match_pattern_from_string_does_proper_validation):
// the same strings are accepted or refused, and the refusals say where.
import { compilePattern } from '../lib/inspect/pattern';

const bytes = (pattern: string) => {
  const { bytes: values, masks } = compilePattern(pattern);
  return { bytes: [...values], masks: [...masks] };
};

test("the strings Frida accepts, and the bytes and masks they stand for", () => {
  expect(bytes('1337')).toEqual({ bytes: [0x13, 0x37], masks: [0xff, 0xff] });
  expect(bytes('13 37')).toEqual({ bytes: [0x13, 0x37], masks: [0xff, 0xff] });
  expect(bytes('13 ?? 37')).toEqual({ bytes: [0x13, 0, 0x37], masks: [0xff, 0, 0xff] });
  expect(bytes('?? 13')).toEqual({ bytes: [0, 0x13], masks: [0, 0xff] });
  expect(bytes('13 ??')).toEqual({ bytes: [0x13, 0], masks: [0xff, 0] });
  expect(bytes('1337:ff0f')).toEqual({ bytes: [0x13, 0x07], masks: [0xff, 0x0f] });
  expect(bytes('13 37 : ff 0f')).toEqual({ bytes: [0x13, 0x07], masks: [0xff, 0x0f] });
  expect(bytes('13 ?7')).toEqual({ bytes: [0x13, 0x07], masks: [0xff, 0x0f] });
  expect(bytes('4? 8B')).toEqual({ bytes: [0x40, 0x8b], masks: [0xf0, 0xff] });
  expect(bytes('12 ?? 13 37 : 1f ff ff f1')).toEqual({ bytes: [0x12, 0, 0x13, 0x31], masks: [0x1f, 0, 0xff, 0xf1] });
  expect(bytes('  de\tAD  ')).toEqual({ bytes: [0xde, 0xad], masks: [0xff, 0xff] });
  expect(compilePattern(Uint8Array.of(0, 1, 0xff))).toEqual({ bytes: Uint8Array.of(0, 1, 0xff), masks: Uint8Array.of(0xff, 0xff, 0xff) });
});

test.each([
  ['1 37', 1, "'1' is half a byte"],
  ['13 3', 4, "'3' is half a byte"],
  ['13+37', 3, "'+' is not a hex digit or '?'"],
  ['13 ? 37', 4, "'?' is half a byte"],
  ['??', 1, 'nothing to match: every bit is a wildcard'],
  ['?? ?? ??', 1, 'nothing to match'],
  [' ', 1, 'no bytes'],
  ['', 1, 'no bytes'],
  ['13 37 : ff', 7, 'the mask after the colon has 1 bytes, the pattern 2'],
  ['13 37 : ff ?f', 12, "'?' is not a hex digit"],
  ['13 : ff : ff', 9, 'a second colon'],
  ['/[Bb]rain/', 1, 'regular expressions'],
  ['1g', 2, "'g' is not a hex digit or '?'"],
])('%j is refused at character %d', (pattern, at, why) => {
  let error: (Error & { code?: string }) | undefined;
  try {
    compilePattern(pattern);
  } catch (caught) {
    error = caught as Error;
  }
  expect(error).toBeInstanceOf(TypeError);
  expect(error?.code).toBe('ERR_INVALID_ARG_VALUE');
  expect(error?.message).toContain(`Received ${JSON.stringify(pattern).replace(/^"|"$/g, "'").replace(/\\t/g, '\\t')} (at character ${at}: ${why}`);
});

test('other types and sizes', () => {
  expect(() => compilePattern(0x1337)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => compilePattern(new Uint16Array(2))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => compilePattern(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => compilePattern(new Uint8Array(65537))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(compilePattern(new Uint8Array(65536)).bytes.length).toBe(65536);
});
