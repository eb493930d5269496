// The reverse-lookup name of an address (in-addr.arpa / ip6.arpa). Built here so PTR queries go through
// resolvePtr, whose errors tell "no such name" from "server failed" (Resolver.reverse reports both as ENOTFOUND).
import type { IpValue } from '../../core/ip.js';

export function arpaName(ip: IpValue): string {
  if (ip.family === 4) {
    const a = ip.v4;
    return `${a & 255}.${(a >>> 8) & 255}.${(a >>> 16) & 255}.${a >>> 24}.in-addr.arpa`;
  }
  const hex = ip.v6.toString(16).padStart(32, '0');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}
