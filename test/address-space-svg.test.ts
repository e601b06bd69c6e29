// renderAddressSpace and `memprobe scan|fuzz --svg`: the SVG's structure (well-formed, self-contained, escaped, the
// modules, gaps and legend in it, the verdict of each page coloured as a read finds it), a fuzz run drawn over it,
// the same snapshot giving the same bytes, and the picture rendered by a real browser (headless Chromium) to a PNG
// that has the picture's size and is not blank.
import { type ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { addressOf, formatAddress, fuzz, type FuzzReport, mapFile, mapPages, pageSize, renderAddressSpace, scanReadable } from '../lib';
import { formatSize } from '../lib/common/format';
import { binding } from '../lib/common/native';
import { OUTCOMES } from '../lib/probe/fuzz-runner';
import type { AddressSpaceSnapshot, PageVerdict, Region } from '../lib/watch/address-space-model';
import { drawAddressSpace } from '../lib/watch/address-space-svg';
import { chromiumMissing, chromiumPath, guardRegionsMissing, syscallCopyMissing, testNeeding } from './helpers/capabilities';
import { PACKAGE_ROOT, spawnNode, spawnNodeSync } from './helpers/child';
import { colourCounts, decodePng } from './helpers/png';
import { allElements, parseXml, type XmlElement } from './helpers/xml';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');
const PAGE = BigInt(pageSize);
const READABLE = '#009e73';
const PROTECTED = '#e69f00';
const GUARD = '#4d4d4d';
const PAST_EOF = '#cc79a7';
const GAP_FILL = '#f1f1f1';
const MISMATCH = '#e4002b';

let directory: string;
beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-svg-'));
});
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

/** The tiles (<g> with a <title>) whose tooltip's first line starts with `label`. */
function tilesNamed(root: XmlElement, label: string): XmlElement[] {
  return allElements(root).filter((element) => element.name === 'g' && element.children[0]?.name === 'title' && element.children[0].text.startsWith(label));
}

/**
 * The <g> of the mapping that holds `address` (its tooltip starts with its bounds). The kernel merges a new
 * anonymous mapping with a neighbour of the same flags, so a mapping made by a test may start before it.
 */
function mappingAt(root: XmlElement, address: bigint): XmlElement | undefined {
  return allElements(root).find((element) => {
    const bounds = element.name === 'g' && element.children[0]?.name === 'title' ? /^(0x[0-9a-f]+)-(0x[0-9a-f]+) /.exec(element.children[0].text) : null;
    return bounds !== null && BigInt(bounds[1]) <= address && address < BigInt(bounds[2]);
  });
}

function fills(element: XmlElement): string[] {
  return allElements(element).filter((child) => child.name === 'rect').map((rect) => rect.attributes.fill);
}

function texts(root: XmlElement): string[] {
  return allElements(root).filter((element) => element.name === 'text').map((element) => element.text);
}

/** What makes an SVG self-contained: nothing to fetch, nothing to run, only generic font families. */
function expectSelfContained(svg: string, root: XmlElement): void {
  expect(root.name).toBe('svg');
  expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
  const names = new Set(allElements(root).map((element) => element.name));
  expect([...names].sort()).toEqual(expect.arrayContaining(['rect', 'svg', 'text']));
  for (const name of names) expect(['svg', 'g', 'title', 'rect', 'text', 'circle']).toContain(name);
  for (const element of allElements(root)) {
    for (const [key, value] of Object.entries(element.attributes)) {
      if (element === root && key === 'xmlns') continue;
      expect([key, key.includes('href') || key.startsWith('on')]).toEqual([key, false]);
      expect([key, /url\(|https?:|@import|@font-face/.test(value)]).toEqual([key, false]);
      if (key === 'font-family') expect(['sans-serif', 'monospace', 'serif']).toContain(value);
    }
  }
  expect(svg).not.toMatch(/<script|<style|<image|<foreignObject|xlink|javascript:/i);
}

describe('renderAddressSpace', () => {
  test("this process: well-formed and self-contained, with its modules, the gaps' sizes, the legend and each row's address", () => {
    const svg = renderAddressSpace();
    const root = parseXml(svg);
    expectSelfContained(svg, root);
    const words = texts(root);
    for (const module of ['libc.so.6', 'memprobe.node', '[stack]', '[heap]']) expect(words).toContain(module);
    expect(words).toContain(path.basename(process.execPath));
    expect(words.filter((text) => /^… \d+(\.\d)? (B|KiB|MiB|GiB|TiB) …$/.test(text)).length).toBeGreaterThan(3);
    for (const entry of ['readable', 'protected (mapped, a read faults)', 'unmapped guard region (inside a mapping)', 'past the end of its file (SIGBUS)', 'gap: unmapped, shrunk, its size written on it']) {
      expect(words).toContain(entry);
    }
    // Named by its executable, not its comm (Node 24 renames its main thread, and so comm, to 'MainThread').
    expect(words[0]).toBe(`Address space of process ${process.pid} (${path.basename(fs.readlinkSync('/proc/self/exe'))})`);
    const rows = words.filter((text) => /^0x[0-9a-f]{12}$/.test(text));
    expect(rows[0]).toBe('0x000000000000');
    expect(rows.map((row) => BigInt(row))).toEqual([...rows.map((row) => BigInt(row))].sort((a, b) => (a < b ? -1 : 1)));
    // Wrapped into rows, not one long strip: nothing drawn past the width.
    const width = Number(root.attributes.width);
    expect(width).toBe(1200);
    expect(rows.length).toBeGreaterThan(2);
    for (const rect of allElements(root).filter((element) => element.name === 'rect')) {
      expect(Number(rect.attributes.x ?? 0) + Number(rect.attributes.width)).toBeLessThanOrEqual(width);
    }
  });

  test('a file named with < & " \' is escaped; its page is readable, the pages past its end are drawn so', () => {
    const name = `a<b&c"d'e>.bin`;
    const file = path.join(directory, name);
    fs.writeFileSync(file, Buffer.alloc(pageSize, 7));
    const mapping = mapFile(file, 3 * pageSize);  // one page of file, two past its end
    try {
      const svg = renderAddressSpace();
      expect(svg).toContain('a&#60;b&#38;c&#34;d&#39;e&#62;.bin');
      expect(svg).not.toContain(name);
      const root = parseXml(svg);
      expect(texts(root)).toContain(name);  // the escaped text reads back as the name
      const [tile] = tilesNamed(root, name);
      expect(tile.children[0].text).toContain(`(${file})`);
      expect(fills(tile)).toEqual([READABLE, PAST_EOF]);
      expect(mappingAt(root, mapping.address)?.children[0].text).toMatch(/ r--p [^:]+: readable, past-eof$/);
    } finally {
      mapping.unmap();
    }
  });

  test('a page made PROT_NONE is protected; the pages around it readable', () => {
    const pages = mapPages(3);
    pages.protect(pageSize, pageSize, 'none');
    try {
      const root = parseXml(renderAddressSpace());
      const protectedPage = mappingAt(root, pages.address + PAGE);
      expect(protectedPage?.children[0].text).toBe(`${formatAddress(pages.address + PAGE)}-${formatAddress(pages.address + 2n * PAGE)} ---p ${formatSize(PAGE)}: protected`);
      expect(fills(protectedPage!)).toEqual([PROTECTED]);
      expect(fills(mappingAt(root, pages.address + 2n * PAGE)!)).toContain(READABLE);
      expect(mappingAt(root, pages.address + 2n * PAGE)?.children[0].text).toMatch(new RegExp(`^${formatAddress(pages.address + 2n * PAGE)}-`));
    } finally {
      pages.unmap();
    }
  });

  testNeeding(guardRegionsMissing())('a guard region inside a readable mapping is drawn as one', () => {
    const pages = mapPages(3);
    binding._installGuardRegion(pages.address + PAGE, pageSize);
    try {
      const mapping = mappingAt(parseXml(renderAddressSpace()), pages.address + PAGE);
      expect(mapping?.children[0].text).toMatch(/ rw-p [^:]+: (readable, guard|guard, readable)$/);
      expect(fills(mapping!)).toEqual(expect.arrayContaining([READABLE, GUARD]));
      expect(fills(mapping!).filter((fill) => fill === GUARD)).toHaveLength(1);
    } finally {
      pages.unmap();
    }
  });

  test('options.scan is used as given: with no readable range, no page is drawn readable', () => {
    const root = parseXml(renderAddressSpace({ scan: [] }));
    const bars = allElements(root).filter((element) => element.name === 'rect' && element.attributes.height === '18');
    expect(bars.length).toBeGreaterThan(50);
    expect(bars.map((rect) => rect.attributes.fill)).not.toContain(READABLE);
    const full = parseXml(renderAddressSpace({ scan: scanReadable() }));
    expect(allElements(full).filter((element) => element.name === 'rect' && element.attributes.height === '18').map((rect) => rect.attributes.fill)).toContain(READABLE);
  });

  test('a fuzz run: sampled cases as ticks coloured by outcome, counts in the legend', async () => {
    const report = await fuzz({ iterations: 3000, seed: 11, samples: 3000 });
    expect(report.samples).toHaveLength(3000);
    expect(report.samples.map((sample) => sample.outcome).sort()).toEqual(
      OUTCOMES.flatMap((outcome) => Array<string>(report.outcomes[outcome]).fill(outcome)).sort());
    const svg = renderAddressSpace({ fuzz: report });
    const root = parseXml(svg);
    expectSelfContained(svg, root);
    const words = texts(root);
    for (const outcome of OUTCOMES) {
      if (report.outcomes[outcome] > 0) expect(words).toContain(`case ${outcome}: ${report.outcomes[outcome].toLocaleString('en-US')}`);
    }
    expect(words).toContain(`mismatch with the maps: ${report.mismatchCount}`);
    const ticks = allElements(root).filter((element) => element.name === 'rect' && element.attributes.width === '1.5');
    expect(ticks.length).toBeGreaterThan(100);
    expect(new Set(ticks.map((tick) => tick.attributes.fill)).has(READABLE)).toBe(true);
    expect(new Set(ticks.map((tick) => tick.attributes.fill)).size).toBeGreaterThanOrEqual(3);
    expect(words.some((text) => /^[\d,]+ sampled cases beyond the user half/.test(text))).toBe(true);
    // Threads share the samples: each stream keeps its first share.
    const threaded = await fuzz({ iterations: 1000, seed: 11, threads: 2, samples: 101 });
    expect(threaded.samples).toHaveLength(101);
    expect((await fuzz({ iterations: 50, seed: 11 })).samples).toEqual([]);
    // Without samples only the totals and mismatches can be drawn: no ticks.
    const plain = parseXml(renderAddressSpace({ fuzz: { ...report, samples: [] } }));
    expect(allElements(plain).filter((element) => element.name === 'rect' && element.attributes.width === '1.5')).toEqual([]);
  });

  test('mismatches: a red ring at the address, and a line each', () => {
    const buffer = Buffer.alloc(64);
    const address = addressOf(buffer);
    const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as FuzzReport['outcomes'];
    const report: FuzzReport = {
      iterations: 1, requested: 1, seed: 1, threads: 1, lengths: [8, 8], aborted: false, outcomes, samples: [],
      mismatches: [{ address, length: 8, strategy: 'signal', api: 'safeRead', kind: 'inside', reason: 'copied 0 bytes where the maps say 8 <&>',
        copy: { bytesCopied: 0, code: 'SEGV_MAPERR', faultAddress: address }, maps: { minBytes: 8, maxBytes: 8, verdict: null } }],
      mismatchCount: 1, rechecked: 0, unstable: 0, durationMs: 1, probesPerSecond: 1, layoutMappings: 1, digests: [],
    };
    const root = parseXml(renderAddressSpace({ fuzz: report }));
    const rings = allElements(root).filter((element) => element.name === 'circle' && element.attributes.stroke === MISMATCH && element.attributes.r === '8');
    expect(rings).toHaveLength(1);
    expect(texts(root)).toContain(`mismatch: 0x${address.toString(16).padStart(12, '0')} +8 safeRead signal: copied 0 bytes where the maps say 8 <&>`);
    expect(texts(root)).toContain('mismatch with the maps: 1');
  });

  testNeeding(syscallCopyMissing)('another process: its pid in the title, its modules', async () => {
    const child: ChildProcess = spawnNode(['-e', 'process.stdout.write("ready"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => child.stdout?.once('data', resolve));
      const root = parseXml(renderAddressSpace({ pid: child.pid }));
      const words = texts(root);
      expect(words[0]).toMatch(new RegExp(`^Address space of process ${child.pid} \\(node`));
      expect(words).toContain('libc.so.6');
      expect(words).not.toContain('memprobe.node');  // the child never loaded memprobe
    } finally {
      child.kill();
    }
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
    expect(() => renderAddressSpace({ pid: child.pid })).toThrow(expect.objectContaining({ name: 'SystemError', code: 'ESRCH' }));
  });

  test('bad arguments are refused before anything is read', async () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return `${(error as Error).name} ${(error as { code?: string }).code}`;
      }
      return undefined;
    };
    const render = renderAddressSpace as (options?: unknown) => string;
    expect(code(() => render(5))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    expect(code(() => render({ PID: 1 }))).toBe('TypeError ERR_INVALID_ARG_VALUE');
    expect(code(() => render({ pid: -1 }))).toBe('RangeError ERR_OUT_OF_RANGE');
    expect(code(() => render({ pid: '1' }))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    expect(code(() => render({ scan: 'all' }))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    expect(code(() => render({ scan: [{ start: 1, end: 2 }] }))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    expect(code(() => render({ scan: [{ start: 2n, end: 1n }] }))).toBe('TypeError ERR_INVALID_ARG_VALUE');
    expect(code(() => render({ fuzz: {} }))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    expect(code(() => render({ fuzz: { iterations: 0, outcomes: {}, mismatches: [] } }))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    const report = { iterations: 0, seed: 1, mismatchCount: 0, outcomes: {}, mismatches: [], samples: [] };
    const parsedJson = { ...report, samples: [{ address: '0x7f0000000000', length: 1, kind: 'inside', outcome: 'readable' }] };
    expect(code(() => render({ fuzz: parsedJson }))).toBe('TypeError ERR_INVALID_ARG_TYPE');
    expect(code(() => render({ fuzz: report, pid: process.pid + 100000 }))).toBe('TypeError ERR_INVALID_ARG_VALUE');
    expect(code(() => render({ fuzz: report, pid: process.pid }))).toBeUndefined();
    await expect(fuzz({ samples: -1 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await expect(fuzz({ samples: 1.5 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('drawing a snapshot', () => {
  const entry = (start: bigint, end: bigint, perms = 'rw-p', file = ''): AddressSpaceSnapshot['regions'][number]['mappings'][number]['entry'] =>
    ({ start, end, perms, offset: 0n, device: '00:00', inode: 0, path: file });
  const region = (label: string, kind: Region['kind'], runs: Array<[bigint, bigint, PageVerdict]>, perms = 'rw-p'): Region => ({
    label, path: kind === 'anonymous' ? '' : `/lib/${label}`, kind,
    mappings: [{ entry: entry(runs[0][0], runs[runs.length - 1][1], perms), runs: runs.map(([start, end, verdict]) => ({ start, end, verdict })) }],
  });
  const page = 4096n;
  const USER_END = 1n << 47n;
  const small: AddressSpaceSnapshot = {
    title: 'process 1 (test)', userEnd: USER_END, pageSize: 4096,
    regions: [
      region('one-page', 'anonymous', [[0x10000n, 0x10000n + page, 'readable']]),
      region('libx.so', 'module', [[0x7f0000000000n, 0x7f0000004000n, 'readable'], [0x7f0000004000n, 0x7f0000005000n, 'guard'], [0x7f0000005000n, 0x7f0100005000n, 'protected']]),
    ],
  };

  test('a one-page mapping and the 128 TiB of gaps are both visible; the same snapshot gives the same bytes', () => {
    const svg = drawAddressSpace(small);
    expect(drawAddressSpace(small)).toBe(svg);
    const root = parseXml(svg);
    expectSelfContained(svg, root);
    const onePage = tilesNamed(root, 'one-page')[0];
    const bar = allElements(onePage).find((element) => element.name === 'rect')!;
    expect(Number(bar.attributes.width)).toBeGreaterThanOrEqual(3);
    const words = texts(root);
    expect(words).toEqual(expect.arrayContaining(['… 64.0 KiB …', '… 127.0 TiB …', '… 1020.0 GiB …', 'libx.so', '4.0 GiB']));
    // A 4 GiB run is wider than a page, but not a million times wider.
    const runs = allElements(tilesNamed(root, 'libx.so')[0]).filter((element) => element.name === 'rect').map((rect) => Number(rect.attributes.width));
    expect(runs).toHaveLength(3);
    expect(runs[2]).toBeGreaterThan(runs[1] * 10);
    expect(runs[2]).toBeLessThan(200);
    expect(fills(tilesNamed(root, 'libx.so')[0])).toEqual([READABLE, GUARD, PROTECTED]);
  });

  test('many regions of one name with gaps between them make one cluster: a cell each, the gaps as lines', () => {
    const regions = Array.from({ length: 40 }, (_, i) => region('anonymous', 'anonymous', [[BigInt(i + 1) << 36n, (BigInt(i + 1) << 36n) + 64n * page, 'readable']]));
    const root = parseXml(drawAddressSpace({ ...small, regions: [small.regions[0], ...regions, small.regions[1]] }));
    const words = texts(root);
    expect(words).toContain('anonymous ×40');
    expect(words).toContain('10.0 MiB · 40 maps over 2.4 TiB, gaps drawn as lines');
    const [cluster] = tilesNamed(root, 'anonymous\n');
    expect(cluster.children[0].text).toBe(`anonymous\n${formatAddress(1n << 36n)}-${formatAddress((40n << 36n) + 64n * page)}, 40 mappings\ngaps between them: 64.0 GiB to 64.0 GiB`);
    expect(fills(cluster).every((fill) => fill === READABLE)).toBe(true);
    expect(fills(cluster)).toHaveLength(40);
    // Seven regions are not a cluster: each its own tile, a labelled gap before each.
    const few = parseXml(drawAddressSpace({ ...small, regions: regions.slice(0, 7) }));
    expect(texts(few).filter((text) => text === 'anonymous')).toHaveLength(7);
    expect(texts(few).filter((text) => text === '… 64.0 GiB …')).toHaveLength(7);  // from 0 to the first, and between each two
  });

  test('many regions wrap into rows inside the width, each row starting with its address', () => {
    const regions = Array.from({ length: 300 }, (_, i) => region(`lib${i}.so`, 'module', [[BigInt(i + 1) << 32n, (BigInt(i + 1) << 32n) + BigInt(i + 1) * page, i % 3 === 0 ? 'protected' : 'readable']]));
    const root = parseXml(drawAddressSpace({ ...small, regions }));
    const width = Number(root.attributes.width);
    const rows = texts(root).filter((text) => /^0x[0-9a-f]{12}$/.test(text));
    expect(rows.length).toBeGreaterThan(10);
    expect(Number(root.attributes.height)).toBeLessThan(rows.length * 80 + 200);
    for (const element of allElements(root).filter((candidate) => candidate.name === 'rect')) {
      expect(Number(element.attributes.x ?? 0) + Number(element.attributes.width)).toBeLessThanOrEqual(width);
    }
    for (let i = 0; i < 300; i++) expect(texts(root)).toContain(`lib${i}.so`);
  });
});

test('the XML check refuses what is not well-formed (so that the SVG passing it means something)', () => {
  for (const bad of ['<a>&</a>', '<a>x < y</a>', '<a><b></a></b>', '<a x=1/>', '<a x="1" x="2"/>', '<a/><b/>', '<a>', '<a>&nbsp;</a>', 'text<a/>']) {
    expect(() => parseXml(bad)).toThrow();
  }
  const good = parseXml('<?xml version="1.0"?>\n<a k="&#60;&amp;&#34;"><b>x &lt; y &#38; z</b><!-- c --><c/></a>\n');
  expect(good).toMatchObject({ name: 'a', attributes: { k: '<&"' }, children: [{ name: 'b', text: 'x < y & z' }, { name: 'c' }] });
});

/** Renders `svg` in headless Chromium to a PNG of the SVG's size; returns the PNG. */
function screenshot(svg: string, name: string): Buffer {
  const height = Number(/<svg [^>]*height="(\d+)"/.exec(svg)![1]);
  const source = path.join(directory, `${name}.svg`);
  const target = path.join(directory, `${name}.png`);
  fs.writeFileSync(source, svg);
  const run = spawnSync(chromiumPath!, [
    '--headless', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--mute-audio',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),  // the sandbox refuses to run as root
    `--user-data-dir=${path.join(directory, `profile-${name}`)}`,
    `--screenshot=${target}`, `--window-size=1200,${height}`, `file://${source}`,
  ], { encoding: 'utf8', timeout: 120_000 });
  if (!fs.existsSync(target)) throw new Error(`chromium wrote no screenshot (status ${run.status}, signal ${run.signal}): ${run.stderr}`);
  return fs.readFileSync(target);
}

describe('in a real browser', () => {
  testNeeding(chromiumMissing)('headless Chromium renders it to a PNG of its size, coloured as drawn, not blank', async () => {
    const report = await fuzz({ iterations: 2000, seed: 3, samples: 2000 });
    for (const [name, svg] of [['this-process', renderAddressSpace()], ['fuzz', renderAddressSpace({ fuzz: report })]] as const) {
      const png = screenshot(svg, name);
      const image = decodePng(png);
      expect([name, image.width, image.height]).toEqual([name, 1200, Number(/height="(\d+)"/.exec(svg)![1])]);
      const colours = colourCounts(image);
      const white = colours.get('#ffffff') ?? 0;
      const total = image.width * image.height;
      expect(total - white).toBeGreaterThan(total * 0.05);
      expect(colours.size).toBeGreaterThan(20);  // text antialiasing and the palette, not a flat page
      // The blocks' interiors come out in the colours they were drawn with.
      expect(colours.get(READABLE) ?? 0).toBeGreaterThan(2000);
      expect(colours.get(PROTECTED) ?? 0).toBeGreaterThan(100);
      expect(colours.get(GAP_FILL) ?? 0).toBeGreaterThan(2000);
    }
  });
});

describe('memprobe scan --svg, fuzz --svg', () => {
  const memprobe = (...args: string[]) => spawnNodeSync([CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

  test('scan --self --svg FILE writes the picture and still prints the ranges', () => {
    const file = path.join(directory, 'scan.svg');
    const run = memprobe('scan', '--self', '--svg', file);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^START +END +SIZE +MAPPING$/m);
    const root = parseXml(fs.readFileSync(file, 'utf8'));
    expect(texts(root)).toEqual(expect.arrayContaining(['memprobe.node', 'libc.so.6', '[stack]']));
    expect(texts(root)[0]).toMatch(/^Address space of process \d+ \(/);
  });

  test('fuzz --svg FILE draws the cases; the printed report is the usual one', () => {
    const file = path.join(directory, 'fuzz.svg');
    const run = memprobe('fuzz', '--iterations', '2000', '--seed', '5', '--svg', file, '--json');
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ iterations: 2000, seed: 5, samples: [] });
    const root = parseXml(fs.readFileSync(file, 'utf8'));
    expect(texts(root)).toContain('fuzz: 2,000 cases, seed 5; ticks under the blocks: 2,000 sampled cases at their addresses (upper lane readable, lower lane faults)');
  });

  test('refused: --svg with a window, --svg without a file; an unwritable file is a failure (1)', () => {
    const window = memprobe('scan', '--self', '--svg', path.join(directory, 'x.svg'), '--start', '0');
    expect(window).toMatchObject({ status: 2, stdout: '' });
    expect(window.stderr).toMatch(/^memprobe scan: --svg draws the whole user half: it takes no --start or --end \(usage: [^\n]*\)\n$/);
    const missing = memprobe('fuzz', '--svg');
    expect(missing).toMatchObject({ status: 2, stdout: '' });
    const unwritable = memprobe('scan', '--self', '--svg', path.join(directory, 'no-such-directory', 'x.svg'));
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toMatch(/^memprobe scan: ENOENT: [^\n]*\n$/);
  });
});
