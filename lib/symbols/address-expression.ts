// Address expressions, the one syntax the API and the command line share for naming an address:
//   0x7f3a1c2e4a10     a number (0x… hex or decimal)
//   libc.so.6          a module's base (its file name, or its path as the maps show it)
//   malloc             a symbol in any module (the executable first; exported before local)
//   libc.so.6!malloc   a symbol in one module; '!malloc' a symbol in any module, for a name that reads as a number
//   …+0x10, …-8        any of these plus or minus numbers (spaces around the sign allowed)
// A bare name is a module when one has that name or path, else a symbol. The parts are looked up against one reading
// of the process's maps.
import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { ADDRESS_MAX } from '../probe/probe';
import { processOption } from '../common/validate';
import { loadedModules, moduleNamed, type LoadedModule } from './modules';
import { addressOfSymbol } from './symbols';

const NUMBER = /^(0x[0-9a-f]+|\d+)$/i;
const TRAILING_OFFSET = /\s*([+-])\s*(0x[0-9a-f]+|\d+)$/i;

/** The part before any offsets, and the offsets' sum. */
function splitOffsets(expression: string): { term: string; offset: bigint } {
  let term = expression;
  let offset = 0n;
  for (let match = TRAILING_OFFSET.exec(term); match !== null && match.index > 0; match = TRAILING_OFFSET.exec(term)) {
    if (/^0\d/.test(match[2])) {
      throw invalidArgValue('expression', 'an address expression (0x…, decimal, module, symbol, module!symbol, each ±offset)', expression,
        `'${expression}' (a decimal offset with a leading zero is ambiguous: write 0x${match[2].replace(/^0+/, '')} or ${BigInt(match[2])})`);
    }
    offset += match[1] === '-' ? -BigInt(match[2]) : BigInt(match[2]);
    term = term.slice(0, match.index);
  }
  return { term: term.trim(), offset };
}

/** Where `process` is named in a message. */
function inProcess(pid: number): string {
  return pid === 0 ? 'this process' : `process ${pid}`;
}

function resolveTerm(term: string, loaded: () => LoadedModule[], pid: number, expression: string): bigint {
  const fail = (what: string) => invalidArgValue('expression', 'an address expression (0x…, decimal, module, symbol, module!symbol, each ±offset)', expression, `'${expression}' (${what})`);
  if (NUMBER.test(term)) {
    // C would read 010 as octal and the command line as hex (as the maps print addresses): refused, not guessed.
    if (/^0\d/.test(term)) throw fail(`a decimal number with a leading zero is ambiguous: write 0x${term.replace(/^0+/, '') || '0'} or ${BigInt(term)}`);
    return BigInt(term);
  }
  if (term === '') throw fail('nothing before the offset');
  if (/[+-]\s*$/.test(term)) throw fail('a sign with no number after it');
  const bang = term.lastIndexOf('!');
  if (bang >= 0) {
    const module = term.slice(0, bang).trim();
    const symbol = term.slice(bang + 1).trim();
    if (symbol === '') throw fail('no symbol after "!"');
    const modules = loaded();
    if (module !== '' && moduleNamed(modules, module) === undefined) throw fail(`no module '${module}' is mapped in ${inProcess(pid)}`);
    const address = addressOfSymbol(modules, symbol, module === '' ? undefined : module);
    if (address === null) throw fail(`${module === '' ? 'no module' : `module '${module}'`} in ${inProcess(pid)} defines a symbol '${symbol}'`);
    return address;
  }
  const modules = loaded();
  const module = moduleNamed(modules, term);
  if (module !== undefined) return module.module.base;
  const address = addressOfSymbol(modules, term);
  if (address === null) throw fail(`no module of ${inProcess(pid)} is named so or defines a symbol by that name`);
  return address;
}

/**
 * The address an address expression names, in this process or another: `0x7f3a1c2e4a10`, `libc.so.6+0x1f00`,
 * `malloc`, `libc.so.6!malloc+8`, `!add` (a symbol whose name reads as a number), each part plus or minus numbers.
 * A bare name is a module when one has that name (or path), else a symbol; symbols come from {@link findSymbol}.
 * @param expression - the expression
 * @param options - `pid`: the process whose modules and symbols are meant (default: this one)
 * @returns the address
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `expression` is not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when the expression is malformed (a decimal number with a leading
 * zero among them: octal in C, hex on the command line, so refused rather than guessed) or names a module or symbol
 * the process does not have (the message says which), or `options` has a property other than `pid`
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when the address is below 0 or above 2^64 - 1
 * @throws {@link SystemError} when the process cannot be looked at (as {@link modules} throws it)
 * @group Modules and symbols
 * @example
 * ```ts
 * import { parseAddress, readU8 } from 'memprobe';
 *
 * console.log(readU8(parseAddress('libc.so.6!malloc')));
 * ```
 */
export function parseAddress(expression: string, options?: { pid?: number }): bigint {
  if (typeof expression !== 'string') throw invalidArgType('expression', 'of type string', expression);
  const pid = processOption(options, ['pid']);
  let cached: LoadedModule[] | undefined;
  const loaded = () => (cached ??= loadedModules(pid));
  const whole = expression.trim();
  // A module named like 'foo-2' is itself before it is 'foo' minus 2.
  const named = !NUMBER.test(whole) && /[+-]\s*(0x[0-9a-f]+|\d+)$/i.test(whole) ? moduleNamed(loaded(), whole) : undefined;
  let address: bigint;
  if (named !== undefined) {
    address = named.module.base;
  } else {
    const { term, offset } = splitOffsets(whole);
    address = resolveTerm(term, loaded, pid, expression) + offset;
  }
  if (address < 0n || address > ADDRESS_MAX) throw outOfRange('expression', `an address from 0 to 0x${ADDRESS_MAX.toString(16)}`, address);
  return address;
}
