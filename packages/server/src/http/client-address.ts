/**
 * @module client-address
 * The key a caller's address is counted under by the per-address budgets. IPv4 counts per
 * address; IPv6 per /64, the smallest block a home or phone is usually given (counting per
 * address would let one subscriber rotate through 2^64 of them).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The 8 hextets of an IPv6 address (any embedded IPv4 tail as two). */
function hextets(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!isIPv4(group)) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

export function addressKey(ip: string): string {
  const address = ip.split('%')[0] ?? ip;
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  return `${hextets(address)
    .slice(0, 4)
    .map((h) => h.toString(16))
    .join(':')}::/64`;
}
