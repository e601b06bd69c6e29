// Text in an SVG document drawn without a browser at hand: escaping (paths can hold any byte but NUL and '/'), and
// widths estimated from the character count, generously, since the fonts are the reader's generic families.

/** @internal Text or an attribute value with &, <, >, " and ' escaped, and the characters XML 1.0 forbids dropped. */
export function escapeXml(text: string): string {
  // Control characters other than tab, newline and carriage return are not allowed in XML 1.0, even escaped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Average advance of a character, in ems: generous for proportional sans-serif, exact for monospace. */
const EM_PER_CHARACTER = 0.6;

/** @internal The width `text` is given at `size` pixels. */
export function textWidth(text: string, size: number): number {
  return Math.ceil([...text].length * size * EM_PER_CHARACTER);
}

/** @internal `text` cut to at most `characters`, with an ellipsis where it was cut. */
export function truncate(text: string, characters: number): string {
  const chars = [...text];
  return chars.length <= characters ? text : `${chars.slice(0, characters - 1).join('')}…`;
}

/** @internal A number with 1 decimal at most, as SVG attributes take it: 12, 12.5. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}
