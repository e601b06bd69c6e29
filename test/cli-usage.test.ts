// The memprobe command as a new user meets it: a named target, streaming output that ends on a closed pipe, help
// in every form and wrapped to the width, numbers refused in the library's words, bare hex addresses as
// /proc/<pid>/maps prints them, and a progress line with separators, rate and ETA that honours the color settings.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { pageSize, readMaps } from '../lib';
import { colorWanted, decimalTrapNote, parseAddress, wrap } from '../lib/cli/output';
import { COMMANDS, commandHelp, usage } from '../lib/cli/main';
import { formatDuration, progressLine } from '../lib/cli/progress-bar';
import { syscallCopyMissing, testNeeding } from './helpers/capabilities';
import { commandFor, PACKAGE_ROOT, shellCommand, spawnNodeSync } from './helpers/child';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of a user who set no color preference (a test runner may set FORCE_COLOR for its workers). */
const { FORCE_COLOR: _force, NO_COLOR: _no, ...PLAIN_ENV } = process.env;

function memprobe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnNodeSync([CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: PLAIN_ENV });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('a named target', () => {
  test('every command that looks at a process refuses to guess which, in one line naming --pid and --self', () => {
    const commands: Array<[string, string[]]> = [
      ['read', ['0x400000', '16']], ['maps', []], ['scan', []], ['scan-memory', ['00']], ['probe', ['0']], ['threads', []], ['modules', []], ['symbolize', ['0x400000']],
    ];
    for (const [name, args] of commands) {
      const run = memprobe(name, ...args);
      expect([name, run.status, run.stdout]).toEqual([name, 2, '']);
      expect(run.stderr).toMatch(new RegExp(`^memprobe ${name}: which process\\? --pid N for another process, --self for this command's own \\(usage: [^\\n]*\\)\\n$`));
      const both = memprobe(name, ...args, '--self', '--pid', '1');
      expect([name, both.status, both.stderr]).toEqual([name, 2, expect.stringContaining('--pid and --self name two processes')]);
    }
  });

  test('maps --pid, then read --pid at an address taken from that output, bare hex as maps prints it', async () => {
    const child = spawn('sleep', ['30']);
    await new Promise((resolve) => child.once('spawn', resolve));
    try {
      const pid = String(child.pid);
      // Until the loader is done with it: two reads 50 ms apart that agree.
      let maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
      for (let previous = ''; maps !== previous; maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8')) {
        previous = maps;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // A bare address is hex when it has a letter a-f or a leading zero, else decimal (README): an all-digit start
      // (about one PIE load in 27: seven random hex digits all below a) is not what this test is about, so take a readable mapping whose start reads as hex
      // (the shared libraries' 0x7f… always do).
      const readable = maps.split('\n').find((line) => line.split(' ')[1]?.startsWith('r') && /^(0|[0-9]*[a-f])/.test(line));
      expect(readable).toBeDefined();
      const bare = (readable as string).split('-')[0];  // hex without 0x, zero-padded, as the kernel prints it
      const listed = memprobe('maps', '--pid', pid);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain(`0x${bare.padStart(12, '0')}`);
      const read = memprobe('read', bare, '16', '--pid', pid, '--json');
      expect([read.status, read.stderr]).toEqual([0, ""]);
      const dumped = JSON.parse(read.stdout) as { address: string; bytesRead: number };
      expect(BigInt(dumped.address)).toBe(BigInt(`0x${bare}`));
      expect(dumped.bytesRead).toBe(16);
    } finally {
      child.kill();
    }
  });
});

test('bare hex: 0x, a letter or a leading zero make it hex; plain digits are decimal', () => {
  expect(parseAddress('0x400000', 'the address', undefined)).toBe(0x400000n);
  expect(parseAddress('00400000', 'the address', undefined)).toBe(0x400000n);
  expect(parseAddress('7f3a1c2e4000', 'the address', undefined)).toBe(0x7f3a1c2e4000n);
  expect(parseAddress('400000', 'the address', undefined)).toBe(400000n);
  expect(parseAddress('0', 'the address', undefined)).toBe(0n);
  // A word of hex digits is a number, not a name: reaching a symbol so named takes '!'.
  expect(parseAddress('add', 'the address', undefined)).toBe(0xaddn);
  // The same before an offset of an expression: hex as maps prints it, or decimal; the offset as the library reads it.
  expect(parseAddress('7f3a1c2e4000+0x10', 'the address', undefined)).toBe(0x7f3a1c2e4010n);
  expect(parseAddress('00400000 - 16', 'the address', undefined)).toBe(0x400000n - 16n);
  expect(parseAddress('1000+16', 'the address', undefined)).toBe(1016n);
  expect(parseAddress('add+1', 'the address', undefined)).toBe(0xaden);
  expect(() => parseAddress('0x10000000000000000', 'the address', undefined)).toThrow("The address must be at most 0xffffffffffffffff. Received '0x10000000000000000'");
  expect(() => parseAddress('', 'the address', undefined)).toThrow("The address must be an address (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received ''");
});

test('scan-memory streams: a closed pipe ends it at once and quietly', () => {
  // Two zero bytes match millions of times in a Node process: collecting them first would take seconds and a
  // lot of memory before the first line, and never end under `head`.
  const run = spawnSync('bash', ['-c', `${shellCommand(commandFor(process.execPath, [CLI]))} scan-memory --self '00 00' | head -2; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^0x[0-9a-f]{12,}$/), expect.stringMatching(/^0x[0-9a-f]{12,}$/), 'status 0']);
  expect(run.stderr).toBe('');
  const ndjson = spawnSync('sh', ['-c', `${shellCommand(commandFor(process.execPath, [CLI]))} scan-memory --self '00 00' --json | head -2`], { encoding: 'utf8', timeout: 60_000 });
  expect(ndjson.stdout.trim().split('\n').map((line) => Object.keys(JSON.parse(line) as object))).toEqual([['address'], ['address']]);
  expect(ndjson.stderr).toBe('');
});

describe('help in every form', () => {
  test('memprobe alone, --help and help print every command with one line each; help <command> is <command> --help', () => {
    const alone = memprobe();
    expect(alone).toMatchObject({ status: 0, stderr: '' });
    expect(alone.stdout).toBe(memprobe('--help').stdout);
    expect(alone.stdout).toBe(memprobe('help').stdout);
    for (const name of Object.keys(COMMANDS)) {
      expect(alone.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      expect(memprobe('help', name)).toEqual(memprobe(name, '--help'));
    }
    expect(memprobe('-V')).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(memprobe('--version')).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('wrapped to the width without breaking a word, and examples at the end', () => {
    const texts = [usage(80), usage(60), ...Object.values(COMMANDS).flatMap((command) => [commandHelp(command, 80), commandHelp(command, 50)])];
    const words = (text: string): string[] => text.split(/\s+/).filter((word) => word !== '');
    for (const [index, text] of texts.entries()) {
      const width = index < 2 ? [80, 60][index] : index % 2 === 0 ? 80 : 50;
      for (const line of text.split('\n')) expect([line, line.length <= width || !line.trim().includes(' ')]).toEqual([line, true]);
    }
    // Wrapping only moves words between lines.
    for (const command of Object.values(COMMANDS)) expect(words(commandHelp(command, 50))).toEqual(words(commandHelp(command, 1000)));
    for (const [name, command] of Object.entries(COMMANDS)) {
      if (['fuzz', 'masking-demo'].includes(name)) continue;
      expect([name, commandHelp(command, 80)]).toEqual([name, expect.stringMatching(/\nexamples:\n( {2}\$ memprobe .*\n)+$/)]);
    }
    expect(wrap('  --x N  ' + 'word '.repeat(30).trim(), 40).split('\n').slice(1).every((line) => line.startsWith('         word'))).toBe(true);
  });

  test('a description continued on a source line of its own is one paragraph: wrapping places its breaks', () => {
    // Indented to the description column of the option above: part of it, at any width.
    expect(wrap('  --x N  one two\n         three four', 80)).toBe('  --x N  one two three four');
    expect(wrap('  --x N  one two\n         three four', 24)).toBe('  --x N  one two three\n         four');
    // Anything else keeps its line: prose after a table, an indent of another depth, a line after prose.
    expect(wrap('  --x N  one\nprose', 80)).toBe('  --x N  one\nprose');
    expect(wrap('  --x N  one\n    four', 80)).toBe('  --x N  one\n    four');
    expect(wrap('prose\n         nine', 80)).toBe('prose\n         nine');
    // read --help's --color, written on two source lines: wrapped as one description, the break where the width says.
    const lines = commandHelp(COMMANDS.read, 80).split('\n');
    const first = lines.findIndex((line) => line.startsWith('  --color'));
    let last = first;
    while (/^ {19}\S/.test(lines[last + 1])) last++;
    const description = lines.slice(first, last + 1);
    expect(description.map((line) => line.trim()).join(' ')).toContain('auto colors a terminal unless NO_COLOR is set');
    // Every break is one wrapping made: the next word would not have fit on the line.
    for (let i = 0; i < description.length - 1; i++) {
      expect(description[i].length + 1 + description[i + 1].trim().split(' ')[0].length).toBeGreaterThan(80);
    }
  });
});

test("numbers are refused in the library's words, exit 2", () => {
  const cases: Array<[string[], string]> = [
    [['fuzz', '--iterations', '-5'], 'The "--iterations" option must be a non-negative integer. Received -5'],
    [['fuzz', '--threads', '0'], 'The "--threads" option must be an integer from 1 to 64. Received 0'],
    [['scan-memory', '00', '--self', '--limit', '-1'], 'The "--limit" option must be a non-negative integer. Received -1'],
    [['read', '0x400000', '-1', '--self'], 'The length must be an integer from 0 to 16777216. Received -1'],
    [['read', '0x400000', '1.5', '--self'], 'The length must be an integer from 0 to 16777216. Received 1.5'],
    // A leading minus is a negative number, said so, not a name looked up in the target.
    [['probe', '-1', '--self'], "The address must be an address, 0 or more: a negative number is none (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received '-1'"],
    [['read', '-0x10', '16', '--self'], "The address must be an address, 0 or more: a negative number is none (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received '-0x10'"],
    [['symbolize', '-5', '--self'], "The address must be an address, 0 or more: a negative number is none (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received '-5'"],
    [['scan', '--self', '--start', '-7f00'], 'The "--start" option must be an address, 0 or more: a negative number is none (0x… or bare hex, decimal, or an expression such as libc.so.6!malloc+8). Received \'-7f00\''],
    [['maps', '--pid', '-1'], 'The "--pid" option must be a process id (1 to 2147483647). Received \'-1\''],
  ];
  for (const [args, message] of cases) {
    const run = memprobe(...args);
    expect([args, run.status, run.stdout]).toEqual([args, 2, '']);
    expect(run.stderr).toMatch(new RegExp(`^memprobe ${args[0]}: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(usage: [^\\n]*\\)\\n$`));
  }
});

describe('progress', () => {
  test('counts with separators, a rate and an ETA; bytes in binary units; the bar gives way to a narrow terminal', () => {
    const line = progressLine('fuzz', 42_000, 100_000, 2, 'cases', 100);
    expect(line).toMatch(/^fuzz \[#+-+\] +42% {2}42,000\/100,000 cases {2}21,000\/s {2}ETA 0:03 {2}0:02$/);
    expect(line.length).toBeLessThan(100);
    const bytes = progressLine('scan-memory', 3 * 2 ** 30, 4 * 2 ** 30, 3, 'bytes', 120);
    expect(bytes).toMatch(/ 75% {2}3\.0 GiB\/4\.0 GiB {2}1\.0 GiB\/s {2}ETA 0:01 {2}0:03$/);
    const narrow = progressLine('fuzz', 42_000, 100_000, 2, 'cases', 50);
    expect(narrow.length).toBeLessThan(50);
    expect(narrow).not.toContain('[');
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  test('colors: --color decides, then FORCE_COLOR, then NO_COLOR, then whether the output is a terminal', () => {
    const terminal = { isTTY: true } as unknown as NodeJS.WritableStream;
    const pipe = {} as NodeJS.WritableStream;
    expect(colorWanted(undefined, terminal, {})).toBe(true);
    expect(colorWanted(undefined, pipe, {})).toBe(false);
    expect(colorWanted(undefined, terminal, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(undefined, terminal, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted(undefined, pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted(undefined, pipe, { FORCE_COLOR: '', NO_COLOR: '1' })).toBe(true);
    expect(colorWanted(undefined, terminal, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorWanted('always', pipe, { NO_COLOR: '1' })).toBe(true);
    expect(colorWanted('never', terminal, { FORCE_COLOR: '1' })).toBe(false);
    expect(() => colorWanted('sometimes', pipe, {})).toThrow('The "--color" option must be one of auto, always, never');
    // End to end: read colors a pipe only when told to.
    const plain = memprobe('read', '0x400000', '16', '--self');
    expect(plain.stdout).not.toContain('\x1b[');
    const forced = spawnNodeSync([CLI, 'read', '0x400000', '16', '--self'], { encoding: 'utf8', env: { ...PLAIN_ENV, FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\x1b[1;3');
    expect(memprobe('read', '0x400000', '16', '--self', '--color=always').stdout).toBe(forced.stdout);
  });
});

test("the README's command table says what each command's help says", () => {
  const readme = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## The command line'), readme.indexOf('## Platform support'));
  const listed = [...table.matchAll(/^\| `memprobe ([a-z-]+) [^`]*` \|/gm)].map((match) => match[1]);
  expect(listed).toEqual(Object.keys(COMMANDS));
  for (const command of Object.values(COMMANDS)) {
    expect(table).toContain(`| \`memprobe ${command.usage.replace(/\|/g, '\\|')}\` | ${command.summary} |`);
  }
});

describe('on a terminal (a pseudo-terminal made by script(1))', () => {
  /** The command run with stdout and stderr on a new pseudo-terminal of `columns` columns; what it showed there. */
  function onTerminal(columns: number, ...args: string[]): { status: number | null; screen: string } {
    const command = shellCommand(commandFor(process.execPath, [CLI, ...args]));
    const run = spawnSync('script', ['-qec', `stty cols ${columns}; ${command}`, '/dev/null'], { encoding: 'utf8', timeout: 120_000, env: PLAIN_ENV });
    return { status: run.status, screen: run.stdout };
  }

  test('fuzz draws a progress line that fits, and erases it; --quiet and --json draw none', () => {
    const shown = onTerminal(72, 'fuzz', '--iterations', '200000', '--seed', '1');
    expect(shown.status).toBe(0);
    const lines = shown.screen.split(/\r|\n/).map((line) => line.replace(/\x1b\[K/g, '')).filter((line) => line.startsWith('fuzz '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.length).toBeLessThan(72);
      expect(line).toMatch(/^fuzz( \[[#-]+\])? +\d+% {2}[\d,]+\/200,000 cases {2}([\d,]+\/s {2})?ETA [\d:?]+ {2}\d+:\d\d$/);
    }
    expect(shown.screen).toMatch(/memprobe fuzz: 200,000 cases, seed 1/);
    for (const flag of ['--quiet', '--json']) {
      const quiet = onTerminal(72, 'fuzz', '--iterations', '20000', '--seed', '1', flag);
      expect([flag, quiet.status, quiet.screen.includes('\x1b[K')]).toEqual([flag, 0, false]);
    }
  });

  test('read colors a terminal by default, and not with --color=never', () => {
    expect(onTerminal(80, 'read', '0x400000', '16', '--self').screen).toContain('\x1b[1;3');
    expect(onTerminal(80, 'read', '0x400000', '16', '--self', '--color=never').screen).not.toContain('\x1b[');
  });

  test('help is wrapped to the terminal width', () => {
    const help = onTerminal(50, 'help', 'scan-memory').screen.split(/\r?\n/).filter((line) => line !== '');
    expect(help.length).toBeGreaterThan(10);
    for (const line of help) expect([line, line.length <= 50 || !line.trim().includes(' ')]).toEqual([line, true]);
  });
});

/**
 * The bare-number trap: a mapping whose start is all digits in hex (a PIE load now and then), copied from the maps,
 * is read as decimal, as the rule says; the command then adds one note on stderr. The case is made on purpose: a
 * python3 child maps a file at such an address with MAP_FIXED_NOREPLACE (Linux 4.17; an older kernel takes the
 * address as a hint, and the probe below sees it elsewhere).
 */
const ALL_DIGIT_CANDIDATES = ['563291780000', '464646460000', '313131310000'];
const MAP_AT = `
import ctypes, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
MAP_FIXED_NOREPLACE = 0x100000
fd = os.open(sys.argv[1], os.O_RDONLY)
size = int(sys.argv[2])
for start in sys.argv[3:]:
    got = libc.mmap(int(start, 16), size, mmap.PROT_READ, mmap.MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0)
    if got == int(start, 16):
        break
print('%x' % (got or 0), flush=True)
sys.stdin.read()
`;

function mappingFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-digits-')), 'all-digit-mapping');
  fs.writeFileSync(file, Buffer.alloc(2 * pageSize, 0x5a));
  return file;
}

/** Why a process cannot be given a mapping at an all-digit hex address here, or null when it can. */
const allDigitMappingMissing: string | null = (() => {
  const file = mappingFile();
  try {
    const run = spawnSync('python3', ['-c', MAP_AT, file, String(pageSize), ...ALL_DIGIT_CANDIDATES], { input: '', encoding: 'utf8', timeout: 30_000 });
    if (run.error !== undefined) return `python3 cannot be run (${run.error.message})`;
    if (run.status !== 0) return `python3 with ctypes failed: ${run.stderr.trim().split('\n').pop()}`;
    return ALL_DIGIT_CANDIDATES.includes(run.stdout.trim()) ? null : `mmap with MAP_FIXED_NOREPLACE at an all-digit address gave 0x${run.stdout.trim()}`;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
})();

describe('an all-digit address read as decimal that is mapped only as hex', () => {
  let child: ChildProcess;
  let pid: string;
  let digits: string;
  let file: string;

  beforeAll(async () => {
    if (allDigitMappingMissing !== null || syscallCopyMissing !== null) return;
    file = mappingFile();
    child = spawn('python3', ['-c', MAP_AT, file, String(pageSize), ...ALL_DIGIT_CANDIDATES], { stdio: ['pipe', 'pipe', 'inherit'] });
    digits = await new Promise<string>((resolve) => child.stdout?.once('data', (data: Buffer) => resolve(data.toString().trim())));
    pid = String(child.pid);
  });
  afterAll(() => {
    child?.stdin?.end();
    if (file !== undefined) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  testNeeding(allDigitMappingMissing, syscallCopyMissing)('one note on stderr naming both readings and the mapping; stdout and status as without it', () => {
    expect(ALL_DIGIT_CANDIDATES).toContain(digits);
    const decimal = BigInt(digits);
    const maps = readMaps(Number(pid));
    const holding = (at: bigint) => maps.find((entry) => entry.start <= at && at < entry.end);
    expect(holding(BigInt(`0x${digits}`))?.path).toBe(file);
    expect(holding(decimal)).toBeUndefined();  // what the test is about: the decimal reading is in no mapping
    const note = `memprobe: note: ${digits} is read as decimal (0x${decimal.toString(16)}, in no mapping); 0x${digits} is in ${file}: write 0x${digits} for that one\n`;
    // Each command that takes an address: the same stdout and status as the decimal reading written in hex.
    const runs: Array<[string[], string[]]> = [
      [['probe', digits], ['probe', `0x${decimal.toString(16)}`]],
      [['read', digits, '4'], ['read', `0x${decimal.toString(16)}`, '4']],
      [['symbolize', digits], ['symbolize', `0x${decimal.toString(16)}`]],
      [['scan', '--start', digits, '--end', String(decimal + 16n)], ['scan', '--start', `0x${decimal.toString(16)}`, '--end', String(decimal + 16n)]],
    ];
    for (const [trapped, plain] of runs) {
      const withNote = memprobe(...trapped, '--pid', pid);
      const without = memprobe(...plain, '--pid', pid);
      expect([trapped, withNote.status, withNote.stdout]).toEqual([trapped, without.status, without.stdout]);
      expect([trapped, withNote.stderr]).toEqual([trapped, note + without.stderr]);
    }
    // The hex readings get no note: written with 0x, or with a leading zero (the rule reads it as hex).
    for (const hexForm of [`0x${digits}`, `0${digits}`]) {
      const read = memprobe('read', hexForm, '4', '--pid', pid, '--json');
      expect([hexForm, read.status, read.stderr]).toEqual([hexForm, 0, '']);
      expect((JSON.parse(read.stdout) as { data: string }).data).toBe('5a5a5a5a');
    }
  });

  testNeeding(allDigitMappingMissing, syscallCopyMissing)('no note where the trap is not: fewer than 8 digits, or the hex reading in no mapping', () => {
    expect(decimalTrapNote(digits, BigInt(digits), Number(pid))).not.toBeNull();
    // 7 digits are no address copied from the maps (they print 8 or more), whatever they name.
    expect(decimalTrapNote(digits.slice(0, 7), BigInt(digits.slice(0, 7)), Number(pid))).toBeNull();
    // A hex reading past the end of every mapping: decimal is all it can mean.
    const maps = readMaps(Number(pid));
    const mapped = (at: bigint) => maps.some((entry) => entry.start <= at && at < entry.end);
    const unmapped = ['12345678', '40000000000', '99999999999'].find((text) => !mapped(BigInt(`0x${text}`)) && !mapped(BigInt(text)));
    expect(unmapped).toBeDefined();
    expect(decimalTrapNote(unmapped!, BigInt(unmapped!), Number(pid))).toBeNull();
    // A target that cannot be read: no note (the command says why itself, if it needs the maps).
    expect(decimalTrapNote(digits, BigInt(digits), 2147483646)).toBeNull();
  });
});
