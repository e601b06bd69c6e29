// Argument checks shared by every module; each throws the Node-style error for its case.
import { inspect } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange } from './errors';

const hasOwn = Object.prototype.hasOwnProperty;

/** @internal A byte count: a non-negative safe integer. */
export function checkLength(value: unknown, name = 'length'): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'a non-negative integer', value);
}

/** @internal A positive integer, such as a page count. */
export function checkPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isSafeInteger(value) || value <= 0) throw outOfRange(name, 'a positive integer', value);
}

/** @internal */
export function checkPid(value: unknown, name = 'options.pid'): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value <= 0 || value > 0x7fffffff) throw outOfRange(name, 'a process id (a positive 32-bit integer)', value);
}

/**
 * @internal An options argument: undefined, or an object whose own property names are all in `accepted`. A
 * misspelled name in plain JavaScript (`{ PID: 1 }`) must not silently change what is done (which process is read).
 */
export function checkKnownOptions(options: unknown, accepted: readonly string[], name = 'options'): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw invalidArgType(name, 'of type object', options);
  // for...in with an own-property test names the same keys as Object.keys without allocating an array of them
  // on every call (V8 walks the object's cached key list), which matters to the typed reads of another process.
  for (const key in options) {
    if (!accepted.includes(key) && hasOwn.call(options, key)) {
      const names = accepted.map((known) => `'${known}'`).join(', ');
      throw invalidArgValue(name, `an object with no properties other than ${names}`, options,
        `an object with the unknown property ${inspect(key)}`);
    }
  }
}

/** @internal The pid an options object names (0: this one), after checking its option names and the pid. */
export function processOption(options: { pid?: number } | undefined, accepted: readonly string[]): number {
  checkKnownOptions(options, accepted);
  const pid = options?.pid;
  if (pid === undefined) return 0;
  checkPid(pid);
  return pid;
}
