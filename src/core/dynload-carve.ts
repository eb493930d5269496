// Carves whitelisted addresses out of a loaded list: a whitelisted single is dropped, a network that
// overlaps the whitelist is split around it. Pure; a list can never drop what the whitelist protects.
import { EntryCollector, type AddressMatcher } from './aggregate.js';
import { formatV4, type SetEntries } from './fw-plan.js';
import { parseIp, type IpValue } from './ip.js';

export interface CarveResult {
  entries: SetEntries;
  /** entries that were dropped whole or split, as written in the list (for the log) */
  carved: string[];
}

export function carveWhitelist(entries: SetEntries, whitelist: AddressMatcher): CarveResult {
  const out = new EntryCollector(entries.v4.length);
  const carved: string[] = [];
  for (let i = 0; i < entries.v4.length; i++) {
    const a = entries.v4[i]!;
    if (whitelist.coversV4(a)) carved.push(formatV4(a));
    else out.addV4(a, 32);
  }
  for (const group of [entries.v4nets, entries.v6, entries.v6nets]) {
    for (const text of group) {
      const r = parseIp(text);
      if (!r.ok) continue; // SetEntries are canonical; nothing to carve from text that is not
      if (!whitelist.overlaps(r.ip)) {
        out.add(r.ip);
        continue;
      }
      carved.push(text);
      split(r.ip, whitelist, out);
    }
  }
  return { entries: carved.length === 0 ? entries : out.finish(), carved };
}

/** Keeps the halves of a network that miss the whitelist; recursion depth is at most the address width. */
function split(ip: IpValue, wl: AddressMatcher, out: EntryCollector): void {
  if (wl.covers(ip)) return;
  if (!wl.overlaps(ip)) {
    out.add(ip);
    return;
  }
  const p = ip.prefix + 1;
  if (ip.family === 4) {
    split({ family: 4, v4: ip.v4, prefix: p, normalised: false }, wl, out);
    split({ family: 4, v4: (ip.v4 + 2 ** (32 - p)) >>> 0, prefix: p, normalised: false }, wl, out);
  } else {
    split({ family: 6, v6: ip.v6, prefix: p, normalised: false }, wl, out);
    split({ family: 6, v6: ip.v6 + (1n << BigInt(128 - p)), prefix: p, normalised: false }, wl, out);
  }
}
