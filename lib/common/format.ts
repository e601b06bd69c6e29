// Addresses as people read them: hex, user-space addresses padded to 12 digits (the 47-bit half).
import { invalidArgType, outOfRange } from './errors';

const MAX_ADDRESS = (1n << 64n) - 1n;

/**
 * '0x' + at least 12 lowercase hex digits: formatAddress(0x7f12n) === '0x000000007f12'.
 * @param address - the address, a bigint from 0 to 2^64 - 1
 * @returns the address in hex, padded to 12 digits (the width of a user-space address)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative or above 2^64 - 1
 * @group Inspecting
 */
export function formatAddress(address: bigint): string {
  if (typeof address !== 'bigint') throw invalidArgType('address', 'of type bigint', address);
  if (address < 0n || address > MAX_ADDRESS) throw outOfRange('address', '>= 0n and <= 2n ** 64n - 1n', address);
  return `0x${address.toString(16).padStart(12, '0')}`;
}

/** @internal A byte count as people read it, in binary units: 1536 -> '1.5 KiB', 4096 -> '4.0 KiB', 100 -> '100 B'. */
export function formatSize(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
