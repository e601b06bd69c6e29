// `memprobe modules` and `memprobe symbolize`, and the names that --symbols prints beside an address: a process's
// ELF objects, and where in them an address falls, as `module!symbol+offset` (itself an address expression).
import { type Command, type CommandOptions, formatOffset, formatTable, parseAddress, TARGET_OPTIONS, TARGET_USAGE, targetOf, toJson } from './output';
import { formatAddress, formatSize } from '../common/format';
import { modules, symbolize } from '../symbols';
import { formatSymbolized } from '../symbols/symbols';

/** @internal --symbols: print where each address of the target falls (module, symbol, offset) beside it. */
export const SYMBOLS_OPTION: CommandOptions = { symbols: { type: 'boolean' } };

/** @internal The help line for SYMBOLS_OPTION: `column` is the column where the command's option descriptions start. */
export function symbolsHelp(column: number, what = 'each address'): string {
  return `  ${'--symbols'.padEnd(column - 2)}beside ${what}, where it falls: module!symbol+offset, module+offset, or ? (in no module)`;
}

/** `{ pid }` for the library, nothing for this process. */
function processOf(target: number | undefined): { pid: number } | undefined {
  return target === undefined ? undefined : { pid: target };
}

/**
 * @internal Where `address` falls in `target` (a pid, or undefined for this process): `libc.so.6!malloc+0x10`,
 * `libc.so.6+0x1f00` where no symbol covers it (each an address expression that gives the address back), null
 * outside every module. One symbolize call per address; the library keeps each module's symbols between calls.
 */
export function symbolOf(address: bigint, target: number | undefined): string | null {
  const place = symbolize(address, processOf(target));
  return place === null ? null : formatSymbolized(place);
}

/** @internal symbolOf for many addresses at once, against one reading of the maps. */
export function symbolsOf(addresses: readonly bigint[], target: number | undefined): Array<string | null> {
  return symbolize(addresses, processOf(target)).map((place) => (place === null ? null : formatSymbolized(place)));
}

/** @internal */
export const modulesCommand: Command = {
  usage: `modules (${TARGET_USAGE}) [--json]`,
  summary: 'the ELF objects a process has mapped (executable, libraries, vDSO): where, how big, build id',
  help: [
    '  --pid N  the process (its objects read through /proc/<pid>/map_files or its root)',
    "  --self   this command's own process",
    '  --json   the modules as JSON: name, path, base, end, size, buildId (in full; null when it has none)',
    'The executable comes first, then the others in address order. END is where the last loadable segment ends; ' +
      "BUILD ID shows the first 12 hex digits of the GNU build id ('-' when there is none); PATH is shown where it " +
      'says more than the name. A module name (libc.so.6) is an address expression: its base.',
  ].join('\n'),
  examples: ['modules --pid 1234', 'modules --self --json'],
  options: { ...TARGET_OPTIONS, json: { type: 'boolean' } },
  run(values, _positionals, out) {
    const found = modules(targetOf(values));
    if (values.json) {
      out.write(toJson(found));
      return 0;
    }
    const rows = found.map((module) => [
      formatAddress(module.base),
      formatAddress(module.end),
      formatSize(BigInt(module.size)),
      module.name,
      module.buildId === null ? '-' : module.buildId.slice(0, 12),
      module.path === module.name ? '' : module.path,
    ]);
    out.write(formatTable(['BASE', 'END', 'SIZE', 'NAME', 'BUILD ID', 'PATH'], rows));
    return 0;
  },
};

/** @internal */
export const symbolizeCommand: Command = {
  usage: `symbolize <address…> (${TARGET_USAGE}) [--json]`,
  summary: 'the module and symbol each address falls in: libc.so.6!malloc+0x10',
  help: [
    '  address  a number or an address expression (memprobe --help says which), as many as wanted',
    '  --pid N  the process',
    "  --self   this command's own process",
    '  --json   an array of {address, module, offset, symbol, symbolOffset} (offsets unpadded, 0x10), null where there is none',
    'One line per address: the address, then module!symbol+offset, module+offset where no symbol covers it, or ' +
      '? (not in any module). Each answer but ? is an expression that gives the address back. Exit status 0 ' +
      'whatever the answers; 2 when an expression names no module or symbol.',
  ].join('\n'),
  examples: ['symbolize 0x7f3a1c2e4010 --pid 1234', "symbolize 'libc.so.6!malloc+16' libc.so.6 --pid 1234", 'symbolize 7f3a1c2e4010 --pid 1234 --json'],
  options: { ...TARGET_OPTIONS, json: { type: 'boolean' } },
  positionals: 4096,
  requiredPositionals: 1,
  run(values, positionals, out, context) {
    const pid = targetOf(values);
    const addresses = positionals.map((text) => parseAddress(text, 'the address', pid, context.err));
    const places = symbolize(addresses, processOf(pid));
    if (values.json) {
      // Offsets as the text form writes them (+0x10), not padded like the addresses they are added to.
      const answers = places.map((place, i) => ({
        address: addresses[i],
        module: place?.module ?? null,
        offset: place === null ? null : formatOffset(place.offset),
        symbol: place?.symbol ?? null,
        symbolOffset: place?.symbolOffset == null ? null : formatOffset(place.symbolOffset),
      }));
      out.write(toJson(answers));
      return 0;
    }
    const lines = places.map((place, i) => `${formatAddress(addresses[i])}  ${place === null ? '? (not in any module)' : formatSymbolized(place)}\n`);
    out.write(lines.join(''));
    return 0;
  },
};
