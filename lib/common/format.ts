// Addresses as people read them: hex, user-space addresses padded to 12 digits (the 47-bit half).
import { invalidArgType, outOfRange } from './errors';

const MAX_ADDRESS = (1n << 64n) - 1n;

/** '0x' + at least 12 lowercase hex digits: formatAddress(0x7f12n) === '0x000000007f12'. */
export function formatAddress(address: bigint): string {
  if (typeof address !== 'bigint') throw invalidArgType('address', 'of type bigint', address);
  if (address < 0n || address > MAX_ADDRESS) throw outOfRange('address', '>= 0n and <= 2n ** 64n - 1n', address);
  return `0x${address.toString(16).padStart(12, '0')}`;
}
