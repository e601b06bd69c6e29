// renderAddressSpace(): the user half of an address space as one self-contained SVG. Mappings are drawn in address
// order as blocks whose width grows with the logarithm of their size (so a one-page mapping and a 4 GiB reservation
// are both visible), each gap between mappings shrunk to a mark with its size written on it, blocks coloured by
// what reading each page finds, mappings grouped under their module's name, rows wrapping at a fixed width. A fuzz
// report's sampled cases are drawn under the blocks at their addresses, mismatches as red rings on them.
//
// The drawing (drawAddressSpace) is a pure function of a snapshot, so the same snapshot gives the same bytes: no
// time, no randomness, no iteration over unordered state. The SVG has no scripts, no links, no external fonts or
// images: generic font families only, tooltips as <title> elements.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { invalidArgType, invalidArgValue } from '../common/errors';
import { formatAddress, formatSize } from '../common/format';
import { checkKnownOptions, checkPid } from '../common/validate';
import { pageSize } from '../memory/copy';
import type { FuzzReport } from '../probe/fuzz';
import { OUTCOMES, type FuzzOutcome } from '../probe/fuzz-runner';
import { readMaps, scanReadable, USER_END, type Range } from '../probe/probe';
import { modules } from '../symbols/modules';
import { type AddressSpaceSnapshot, cutMapping, type DrawnMapping, firstEndingAfter, groupRegions, mergeRanges, type PageVerdict, type Region } from './address-space-model';
import { escapeXml, px, textWidth, truncate } from './svg-text';

/**
 * Options of {@link renderAddressSpace}.
 * @group Watching memory
 */
export interface RenderAddressSpaceOptions {
  /** another process (default: this one); its pages are read through process_vm_readv */
  pid?: number;
  /**
   * the readable ranges of the whole user half, as {@link scanReadable} returns them for the same process (default:
   * such a scan, made now). A page the ranges leave out is drawn as not readable.
   */
  scan?: Range[];
  /**
   * a report of {@link fuzz} in this process, to draw over the mappings: its `samples` (ask for them with
   * `fuzz({ samples: n })`) as ticks at their addresses coloured by outcome, its mismatches as red rings, its
   * outcome counts in the legend
   */
  fuzz?: FuzzReport;
}

// Geometry, in pixels.
const WIDTH = 1200;
const MARGIN = 16;
const GUTTER = 100;                 // the row's first address, left of the row
const TILE_GAP = 10;                // between tiles of a row
const LABEL_SIZE = 11;
const SMALL_SIZE = 9.5;
const LABEL_HEIGHT = 15;
const BAR_HEIGHT = 18;
const RUG_HEIGHT = 11;              // fuzz cases: two lanes under the bar
const SIZE_HEIGHT = 13;
const ROW_PADDING = 10;
const RUN_MIN = 3;                  // a one-page run
const RUN_PER_DOUBLING = 6;         // each doubling of a run's pages widens it this much
const MAPPING_GAP = 1;              // white between two mappings of a tile
const LABEL_CHARACTERS = 26;
const CLUSTER_MIN = 8;              // this many regions of one name in a row, gaps between them, make a cluster
const CELL = 6;                     // a mapping's width in a cluster
const MAX_LISTED_MISMATCHES = 10;
const FONT = 'font-family="sans-serif"';
const MONO = 'font-family="monospace"';

const VERDICT_COLOR: Record<PageVerdict, string> = {
  readable: '#009e73',
  protected: '#e69f00',
  guard: '#4d4d4d',
  'past-eof': '#cc79a7',
};
const VERDICT_LEGEND: Array<[PageVerdict, string]> = [
  ['readable', 'readable'],
  ['protected', 'protected (mapped, a read faults)'],
  ['guard', 'unmapped guard region (inside a mapping)'],
  ['past-eof', 'past the end of its file (SIGBUS)'],
];
const GAP_FILL = '#f1f1f1';
const GAP_STROKE = '#b5b5b5';
const OUTCOME_COLOR: Record<FuzzOutcome, string> = {
  readable: '#009e73',
  SEGV_MAPERR: '#7f7f7f',
  SEGV_ACCERR: '#e69f00',
  SEGV_PKUERR: '#d55e00',
  BUS_ADRERR: '#cc79a7',
  BUS_OBJERR: '#f0e442',
  NONCANONICAL: '#000000',
  EFAULT: '#0072b2',
};
const MISMATCH_COLOR = '#e4002b';

/** How wide a run of `bytes` is drawn: a page is RUN_MIN, each doubling adds RUN_PER_DOUBLING. */
function runWidth(bytes: bigint, page: number): number {
  const pages = Math.max(1, Number(bytes) / page);
  return RUN_MIN + RUN_PER_DOUBLING * Math.log2(pages);
}

function gapText(bytes: bigint): string {
  return `… ${formatSize(bytes)} …`;
}

type Piece =
  | { kind: 'mapping'; mapping: DrawnMapping; widths: number[]; width: number; start: bigint; end: bigint }
  | { kind: 'gap'; start: bigint; end: bigint; width: number; quiet?: boolean };

/** A region (or a gap between regions, with no region) as drawn: its pieces in address order. */
interface Tile {
  region: Region | null;
  pieces: Piece[];
  /** the part of a region carried onto the next row */
  continued: boolean;
  /** a cluster: this many regions of one name with gaps between them, drawn as a cell each */
  cluster?: number;
}

function mappingPiece(mapping: DrawnMapping, page: number): Piece {
  const widths = mapping.runs.map((run) => runWidth(run.end - run.start, page));
  return { kind: 'mapping', mapping, widths, width: widths.reduce((a, b) => a + b, 0), start: mapping.entry.start, end: mapping.entry.end };
}

function gapPiece(start: bigint, end: bigint): Piece {
  return { kind: 'gap', start, end, width: textWidth(gapText(end - start), SMALL_SIZE) + 8 };
}

/** A mapping in a cluster: CELL pixels wide, its runs sharing them as their widths would. */
function cellPiece(mapping: DrawnMapping, page: number): Piece {
  const piece = mappingPiece(mapping, page) as Extract<Piece, { kind: 'mapping' }>;
  return { ...piece, widths: piece.widths.map((width) => (CELL * width) / piece.width), width: CELL };
}

/** A gap inside a cluster: a line, its size in the cluster's tooltip. */
function quietGapPiece(start: bigint, end: bigint): Piece {
  return { kind: 'gap', start, end, width: 1, quiet: true };
}

function piecesWidth(pieces: readonly Piece[]): number {
  return pieces.reduce((sum, piece) => sum + piece.width, 0) + MAPPING_GAP * Math.max(0, pieces.length - 1);
}

function regionSize(region: Region): bigint {
  return region.mappings.reduce((sum, mapping) => sum + mapping.entry.end - mapping.entry.start, 0n);
}

function labelOf(tile: Tile): string {
  if (tile.region === null) return '';
  const label = truncate(tile.region.label, LABEL_CHARACTERS) + (tile.cluster !== undefined ? ` ×${tile.cluster}` : '');
  return label + (tile.continued ? ' (cont.)' : '');
}

function sizeTextOf(tile: Tile): string {
  if (tile.region === null || tile.continued) return '';
  const count = tile.region.mappings.length;
  const spread = tile.cluster !== undefined ? ` over ${formatSize(tile.region.mappings[count - 1].entry.end - tile.region.mappings[0].entry.start)}, gaps drawn as lines` : '';
  return `${formatSize(regionSize(tile.region))}${count > 1 ? ` · ${count} maps` : ''}${spread}`;
}

function tileWidth(tile: Tile): number {
  return Math.max(piecesWidth(tile.pieces), textWidth(labelOf(tile), LABEL_SIZE), textWidth(sizeTextOf(tile), SMALL_SIZE));
}

/**
 * How many regions from `index` on form a cluster: regions of one name (not modules) one after the other with only
 * gaps between them. A process can have hundreds of these (V8 places each 256 KiB heap page at a random address):
 * drawn one tile each, with a labelled gap mark between each two, they would fill pages.
 */
function clusterLength(regions: readonly Region[], index: number): number {
  const first = regions[index];
  if (first.kind === 'module') return 1;
  let end = index + 1;
  while (end < regions.length && regions[end].kind === first.kind && regions[end].label === first.label && regions[end].path === first.path) end++;
  return end - index >= CLUSTER_MIN ? end - index : 1;
}

/** The tiles in address order: a gap before each region that does not start where the last one ended, and one to the end of the user half. */
function tilesOf(snapshot: AddressSpaceSnapshot): Tile[] {
  const tiles: Tile[] = [];
  let at = 0n;
  const regions = snapshot.regions;
  for (let index = 0; index < regions.length; ) {
    const length = clusterLength(regions, index);
    const members = regions.slice(index, index + length);
    index += length;
    const region: Region = length === 1 ? members[0] : { ...members[0], mappings: members.flatMap((member) => member.mappings) };
    const first = region.mappings[0].entry.start;
    if (first > at) tiles.push({ region: null, pieces: [gapPiece(at, first)], continued: false });
    const pieces: Piece[] = [];
    for (const mapping of region.mappings) {
      if (pieces.length > 0 && mapping.entry.start > at) pieces.push(length === 1 ? gapPiece(at, mapping.entry.start) : quietGapPiece(at, mapping.entry.start));
      pieces.push(length === 1 ? mappingPiece(mapping, snapshot.pageSize) : cellPiece(mapping, snapshot.pageSize));
      at = mapping.entry.end;
    }
    tiles.push({ region, pieces, continued: false, ...(length > 1 ? { cluster: length } : {}) });
  }
  if (at < snapshot.userEnd) tiles.push({ region: null, pieces: [gapPiece(at, snapshot.userEnd)], continued: false });
  return tiles;
}

/** A tile wider than a row, cut into tiles that fit (a single piece wider than a row stays whole). */
function cutToFit(tile: Tile, room: number): Tile[] {
  if (piecesWidth(tile.pieces) <= room) return [tile];
  const parts: Tile[] = [];
  let pieces: Piece[] = [];
  for (const piece of tile.pieces) {
    if (pieces.length > 0 && piecesWidth([...pieces, piece]) > room) {
      parts.push({ ...tile, pieces, continued: parts.length > 0 });
      pieces = [];
    }
    pieces.push(piece);
  }
  parts.push({ ...tile, pieces, continued: parts.length > 0 });
  return parts;
}

interface Placed {
  tile: Tile;
  x: number;
  y: number;
  width: number;
}

/** Where each piece of the address space was drawn: for placing fuzz cases by address. */
interface Span {
  start: bigint;
  end: bigint;
  x: number;
  width: number;
  y: number;
}

interface Rows {
  placed: Placed[];
  /** the y of each row and the address it starts at */
  rows: Array<{ y: number; start: bigint }>;
  height: number;
}

function layOut(tiles: readonly Tile[], top: number, rowHeight: number): Rows {
  const left = MARGIN + GUTTER;
  const right = WIDTH - MARGIN;
  const placed: Placed[] = [];
  const rows: Array<{ y: number; start: bigint }> = [];
  let x = left;
  let y = top;
  for (const whole of tiles) {
    for (const tile of cutToFit(whole, right - left)) {
      const width = tileWidth(tile);
      if (rows.length === 0 || (x > left && x + width > right)) {
        if (rows.length > 0) y += rowHeight;
        x = left;
        rows.push({ y, start: tile.pieces[0].start });
      }
      placed.push({ tile, x, y, width });
      x += width + TILE_GAP;
    }
  }
  return { placed, rows, height: rows.length === 0 ? 0 : y + rowHeight - top };
}

/** A tile's tooltip: what it is, where, how big. */
function tileTooltip(tile: Tile): string {
  const first = tile.pieces[0];
  const last = tile.pieces[tile.pieces.length - 1];
  const where = `${formatAddress(first.start)}-${formatAddress(last.end)}`;
  const region = tile.region;
  if (region === null) return `unmapped: ${where} (${formatSize(last.end - first.start)})`;
  const path = region.path !== '' && region.path !== region.label ? ` (${region.path})` : '';
  const count = tile.pieces.filter((piece) => piece.kind === 'mapping').length;
  const gaps = tile.pieces.flatMap((piece) => (piece.kind === 'gap' ? [piece.end - piece.start] : [])).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const between = tile.cluster !== undefined && gaps.length > 0 ? `\ngaps between them: ${formatSize(gaps[0])} to ${formatSize(gaps[gaps.length - 1])}` : '';
  return `${region.label}${path}\n${where}, ${count} mapping${count === 1 ? '' : 's'}${tile.continued ? ' (continued)' : ''}${between}`;
}

/** A mapping's tooltip: its bounds, permissions, size and the verdicts of its pages. */
function mappingTooltip(mapping: DrawnMapping): string {
  const { entry } = mapping;
  const verdicts = [...new Set(mapping.runs.map((run) => run.verdict))].join(', ');
  return `${formatAddress(entry.start)}-${formatAddress(entry.end)} ${entry.perms} ${formatSize(entry.end - entry.start)}: ${verdicts}`;
}

/** Draws a placed tile; records where each of its runs and gaps went. */
function drawTile(out: string[], spans: Span[], { tile, x, y }: Placed, rug: number): void {
  const barY = y + LABEL_HEIGHT;
  out.push(`<g><title>${escapeXml(tileTooltip(tile))}</title>`);
  const label = labelOf(tile);
  if (label !== '') {
    const style = tile.region?.kind === 'anonymous' ? ' fill="#666" font-style="italic"' : ' fill="#222"';
    out.push(`<text x="${px(x)}" y="${px(y + LABEL_SIZE)}" font-size="${LABEL_SIZE}"${style}>${escapeXml(label)}</text>`);
  }
  let at = x;
  for (const piece of tile.pieces) {
    if (piece.kind === 'gap' && piece.quiet === true) {
      spans.push({ start: piece.start, end: piece.end, x: at, width: piece.width, y: barY });
    } else if (piece.kind === 'gap') {
      const text = gapText(piece.end - piece.start);
      out.push(`<rect x="${px(at + 0.5)}" y="${px(barY + 0.5)}" width="${px(piece.width - 1)}" height="${BAR_HEIGHT - 1}" fill="${GAP_FILL}" stroke="${GAP_STROKE}" stroke-dasharray="3 2"/>`);
      out.push(`<text x="${px(at + piece.width / 2)}" y="${px(barY + BAR_HEIGHT / 2 + SMALL_SIZE / 2 - 1)}" font-size="${SMALL_SIZE}" fill="#555" text-anchor="middle">${escapeXml(text)}</text>`);
      spans.push({ start: piece.start, end: piece.end, x: at, width: piece.width, y: barY });
    } else {
      let runX = at;
      out.push(`<g><title>${escapeXml(mappingTooltip(piece.mapping))}</title>`);
      piece.mapping.runs.forEach((run, i) => {
        const width = piece.widths[i];
        out.push(`<rect x="${px(runX)}" y="${barY}" width="${px(width)}" height="${BAR_HEIGHT}" fill="${VERDICT_COLOR[run.verdict]}"/>`);
        spans.push({ start: run.start, end: run.end, x: runX, width, y: barY });
        runX += width;
      });
      out.push('</g>');
    }
    at += piece.width + MAPPING_GAP;
  }
  const size = sizeTextOf(tile);
  if (size !== '') out.push(`<text x="${px(x)}" y="${px(barY + BAR_HEIGHT + rug + SMALL_SIZE)}" font-size="${SMALL_SIZE}" fill="#444">${escapeXml(size)}</text>`);
  out.push('</g>');
}

/** The span holding `address` (spans are in address order), or undefined outside them. */
function spanAt(spans: readonly Span[], address: bigint): Span | undefined {
  const low = firstEndingAfter(spans, address);
  const span = spans[low];
  return span !== undefined && span.start <= address ? span : undefined;
}

function xOf(span: Span, address: bigint): number {
  return span.x + (span.width * Number(address - span.start)) / Number(span.end - span.start);
}

/** The fuzz cases inside the user half as ticks under the blocks (one per pixel column, lane and outcome). */
function drawSamples(out: string[], spans: readonly Span[], report: FuzzReport): number {
  const drawn = new Set<string>();
  let inside = 0;
  for (const sample of report.samples ?? []) {
    const span = spanAt(spans, sample.address);
    if (span === undefined) continue;
    inside++;
    const x = Math.round(xOf(span, sample.address) * 2) / 2;
    const lane = sample.outcome === 'readable' ? 0 : 1;
    const key = `${x}:${span.y}:${lane}:${sample.outcome}`;
    if (drawn.has(key)) continue;
    drawn.add(key);
    const y = span.y + BAR_HEIGHT + 1 + lane * 5;
    out.push(`<rect x="${px(x - 0.5)}" y="${px(y)}" width="1.5" height="4" fill="${OUTCOME_COLOR[sample.outcome] ?? '#000'}"/>`);
  }
  return inside;
}

/** Each mismatch as a red ring over the block at its address. */
function drawMismatches(out: string[], spans: readonly Span[], report: FuzzReport): void {
  for (const mismatch of report.mismatches) {
    const span = spanAt(spans, mismatch.address);
    if (span === undefined) continue;
    const x = xOf(span, mismatch.address);
    const y = span.y + BAR_HEIGHT / 2;
    out.push(`<g><title>${escapeXml(`mismatch at ${formatAddress(mismatch.address)} +${mismatch.length}: ${mismatch.reason}`)}</title>` +
      `<circle cx="${px(x)}" cy="${px(y)}" r="8" fill="none" stroke="${MISMATCH_COLOR}" stroke-width="3"/>` +
      `<circle cx="${px(x)}" cy="${px(y)}" r="2.5" fill="${MISMATCH_COLOR}"/></g>`);
  }
}

/** Legend entries laid out left to right, wrapping; returns the height used. */
function drawLegend(out: string[], entries: Array<{ swatch: string; text: string }>, top: number): number {
  let x = MARGIN;
  let y = top;
  for (const { swatch, text } of entries) {
    const width = 18 + textWidth(text, LABEL_SIZE) + 16;
    if (x > MARGIN && x + width > WIDTH - MARGIN) {
      x = MARGIN;
      y += 20;
    }
    out.push(swatch.replaceAll('{x}', px(x)).replaceAll('{y}', px(y)).replaceAll('{cx}', px(x + 6)).replaceAll('{cy}', px(y + 6)));
    out.push(`<text x="${px(x + 18)}" y="${px(y + 10)}" font-size="${LABEL_SIZE}" fill="#222">${escapeXml(text)}</text>`);
    x += width;
  }
  return y + 20 - top;
}

const count = (n: number): string => n.toLocaleString('en-US');

function legendEntries(report: FuzzReport | undefined): Array<{ swatch: string; text: string }> {
  const entries = VERDICT_LEGEND.map(([verdict, text]) => ({ swatch: `<rect x="{x}" y="{y}" width="12" height="12" fill="${VERDICT_COLOR[verdict]}"/>`, text }));
  entries.push({ swatch: `<rect x="{x}" y="{y}" width="12" height="12" fill="${GAP_FILL}" stroke="${GAP_STROKE}" stroke-dasharray="3 2"/>`, text: 'gap: unmapped, shrunk, its size written on it' });
  if (report === undefined) return entries;
  for (const outcome of OUTCOMES) {
    const n = report.outcomes[outcome] ?? 0;
    if (n === 0) continue;
    entries.push({ swatch: `<rect x="{x}" y="{y}" width="3" height="12" fill="${OUTCOME_COLOR[outcome]}"/>`, text: `case ${outcome}: ${count(n)}` });
  }
  entries.push({
    swatch: `<circle cx="{cx}" cy="{cy}" r="5" fill="none" stroke="${MISMATCH_COLOR}" stroke-width="2.5"/>`,
    text: `mismatch with the maps: ${count(report.mismatchCount)}`,
  });
  return entries;
}

function totals(snapshot: AddressSpaceSnapshot): { mappings: number; mapped: bigint; readable: bigint } {
  let mappings = 0;
  let mapped = 0n;
  let readable = 0n;
  for (const region of snapshot.regions) {
    for (const mapping of region.mappings) {
      mappings++;
      mapped += mapping.entry.end - mapping.entry.start;
      for (const run of mapping.runs) if (run.verdict === 'readable') readable += run.end - run.start;
    }
  }
  return { mappings, mapped, readable };
}

/** @internal The SVG of a snapshot (and a fuzz report): the same arguments give the same text. */
export function drawAddressSpace(snapshot: AddressSpaceSnapshot, report?: FuzzReport): string {
  const body: string[] = [];
  const { mappings, mapped, readable } = totals(snapshot);
  body.push(`<text x="${MARGIN}" y="${MARGIN + 16}" font-size="17" font-weight="bold" fill="#111">${escapeXml(`Address space of ${snapshot.title}`)}</text>`);
  const summary = `user half ${formatAddress(0n)}–${formatAddress(snapshot.userEnd)} · ${count(mappings)} mappings in ${count(snapshot.regions.length)} regions · ` +
    `${formatSize(mapped)} mapped, ${formatSize(readable)} readable · block width grows with the log of the size; rows read left to right`;
  body.push(`<text x="${MARGIN}" y="${MARGIN + 36}" font-size="${LABEL_SIZE}" fill="#444">${escapeXml(summary)}</text>`);
  let y = MARGIN + 50;
  y += drawLegend(body, legendEntries(report), y) + 6;
  if (report !== undefined) {
    const runLine = `fuzz: ${count(report.iterations)} cases, seed ${report.seed}; ticks under the blocks: ${count(report.samples?.length ?? 0)} sampled cases at their addresses (upper lane readable, lower lane faults)`;
    body.push(`<text x="${MARGIN}" y="${px(y + 10)}" font-size="${LABEL_SIZE}" fill="#444">${escapeXml(runLine)}</text>`);
    y += 22;
  }
  // The rug of fuzz cases under each bar, or a little air where there is none.
  const rug = report !== undefined ? RUG_HEIGHT : 2;
  const layout = layOut(tilesOf(snapshot), y, LABEL_HEIGHT + BAR_HEIGHT + rug + SIZE_HEIGHT + ROW_PADDING);
  const spans: Span[] = [];
  for (const { y: rowY, start } of layout.rows) {
    body.push(`<text x="${MARGIN}" y="${px(rowY + LABEL_HEIGHT + BAR_HEIGHT / 2 + 4)}" font-size="10" ${MONO} fill="#666">${formatAddress(start)}</text>`);
  }
  for (const placed of layout.placed) drawTile(body, spans, placed, rug);
  y += layout.height;
  if (report !== undefined) {
    const inside = drawSamples(body, spans, report);
    drawMismatches(body, spans, report);
    const outside = (report.samples?.length ?? 0) - inside;
    const lines = [`${count(outside)} sampled cases beyond the user half (kernel half, non-canonical, vsyscall) are not drawn.`];
    for (const mismatch of report.mismatches.slice(0, MAX_LISTED_MISMATCHES)) {
      lines.push(`mismatch: ${formatAddress(mismatch.address)} +${mismatch.length} ${mismatch.api} ${mismatch.strategy}: ${mismatch.reason}`);
    }
    if (report.mismatches.length > MAX_LISTED_MISMATCHES) lines.push(`… and ${report.mismatches.length - MAX_LISTED_MISMATCHES} more mismatches`);
    for (const line of lines) {
      const colour = line.startsWith('mismatch') ? MISMATCH_COLOR : '#444';
      body.push(`<text x="${MARGIN}" y="${px(y + 12)}" font-size="${LABEL_SIZE}" fill="${colour}">${escapeXml(line)}</text>`);
      y += 16;
    }
  }
  const height = Math.ceil(y + MARGIN);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * A process's name for the title: its executable's file name, else its comm (which a program may rename: Node 24
 * names its main thread, and so the process, 'MainThread'), or '' where neither can be read.
 */
function processName(pid: number): string {
  try {
    return path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
  } catch {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  }
}

function checkRanges(scan: unknown): asserts scan is Range[] {
  const expected = 'an array of { start, end } ranges with bigint bounds (what scanReadable returns)';
  if (!Array.isArray(scan)) throw invalidArgType('options.scan', expected, scan);
  scan.forEach((range: unknown, i) => {
    const { start, end } = (range ?? {}) as Partial<Range>;
    if (typeof start !== 'bigint' || typeof end !== 'bigint') throw invalidArgType(`options.scan[${i}]`, 'a { start, end } range with bigint bounds', range);
    if (start < 0n || start > end) throw invalidArgValue(`options.scan[${i}]`, 'a range with 0 <= start <= end', range, `{ start: ${start}n, end: ${end}n }`);
  });
}

function checkReport(report: unknown): asserts report is FuzzReport {
  const candidate = report as Partial<FuzzReport> | null;
  const shaped = typeof candidate === 'object' && candidate !== null && Array.isArray(candidate.mismatches) && typeof candidate.outcomes === 'object' &&
    candidate.outcomes !== null && typeof candidate.iterations === 'number' && typeof candidate.seed === 'number' && typeof candidate.mismatchCount === 'number' &&
    (candidate.samples === undefined || Array.isArray(candidate.samples));
  if (!shaped) throw invalidArgType('options.fuzz', 'a FuzzReport (what fuzz() resolves with)', report);
  // A report that went through JSON has its addresses as strings: say so, rather than draw nonsense.
  const cases = [...(candidate.samples ?? []), ...(candidate.mismatches ?? [])];
  const index = cases.findIndex((item) => typeof (item as { address?: unknown } | null)?.address !== 'bigint');
  if (index >= 0) throw invalidArgType('options.fuzz', 'a FuzzReport whose samples and mismatches have bigint addresses', cases[index]);
}

/**
 * The user half of a process's address space as a self-contained SVG document (no scripts, links, external fonts
 * or images): every mapping in address order as a block whose width grows with the logarithm of its size, each gap
 * between mappings shrunk to a mark with its size written on it, so the 128 TiB of gaps and a one-page mapping are
 * both visible; blocks coloured by what a read of each page finds (readable, protected, an unmapped guard region,
 * past the end of its file), a module's mappings grouped under its name with their total size; rows wrap at 1,200
 * pixels, each starting with its first address; a legend; each mapping's bounds, permissions and verdicts in a
 * tooltip. Eight or more regions of one name with only gaps between them (V8 places each of its 256 KiB heap pages
 * at a random address) are drawn as one cluster: a narrow cell per mapping, the gaps as lines, their sizes in the
 * tooltip. With `fuzz`, the report's sampled cases are ticks under the blocks at their addresses, coloured by
 * outcome, and its mismatches red rings, listed at the bottom.
 *
 * The verdicts come from a real read of each page: the readable ranges are `options.scan`, or a scan made now
 * ({@link scanReadable}, one read per listed page); pages a read did not find readable are called guard regions
 * when pagemap marks them so (Linux 6.15+), past the end of their file when the file is shorter than the mapping,
 * and protected otherwise. The process keeps changing while it is looked at (V8 maps and unmaps all the time): the
 * maps are read once, after the scan.
 * @param options - the process, a scan already made, a fuzz report of this process
 * @returns the SVG document, UTF-8 text
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `options` is not an object, `scan` not an array of bigint ranges or `fuzz` not a fuzz report
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) for an unknown option name, a range whose start is past its end, or
 * `fuzz` with the `pid` of another process (a fuzz report describes the process that ran it)
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when the maps of another process cannot be read, or it cannot be read (`EPERM`, `ESRCH`)
 * @group Watching memory
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import { fuzz, renderAddressSpace } from 'memprobe';
 *
 * fs.writeFileSync('address-space.svg', renderAddressSpace());
 * fuzz({ iterations: 5_000, seed: 1, samples: 5_000 }).then((report) => {
 *   fs.writeFileSync('fuzz.svg', renderAddressSpace({ fuzz: report }));
 * });
 * ```
 */
export function renderAddressSpace(options?: RenderAddressSpaceOptions): string {
  checkKnownOptions(options, ['pid', 'scan', 'fuzz']);
  const pid = options?.pid;
  if (pid !== undefined) checkPid(pid);
  if (options?.scan !== undefined) checkRanges(options.scan);
  const report = options?.fuzz;
  if (report !== undefined) {
    checkReport(report);
    if (pid !== undefined && pid !== process.pid) {
      throw invalidArgValue('options.fuzz', `a report of this process's memory: it cannot be drawn over process ${pid}`, report, 'a fuzz report with options.pid of another process');
    }
  }
  const target = pid === undefined || pid === process.pid ? 0 : pid;
  const readable = mergeRanges(options?.scan ?? scanReadable(target === 0 ? undefined : { pid: target }));
  const entries = readMaps(target === 0 ? undefined : target).filter((entry) => entry.start < USER_END);
  const mappings = entries.map((entry) => cutMapping(target, entry.end > USER_END ? { ...entry, end: USER_END } : entry, readable));
  const shown = target === 0 ? process.pid : target;
  const comm = processName(shown);
  const snapshot: AddressSpaceSnapshot = {
    title: `process ${shown}${comm === '' ? '' : ` (${comm})`}`,
    userEnd: USER_END,
    pageSize,
    regions: groupRegions(mappings, modules(target === 0 ? undefined : target)),
  };
  return drawAddressSpace(snapshot, report);
}
