// Turns a downloaded body into the list that may reach the firewall: parse, drop too-wide entries,
// carve the whitelist out, aggregate, and checksum the result (equal checksum = no firewall work).
import { createHash } from 'node:crypto';
import { EntryCollector, type AddressMatcher } from '../../src/core/aggregate.js';
import { carveWhitelist } from '../../src/core/dynload-carve.js';
import { parseDynload, resolveFormat, type DynloadFormat, type DynloadKind, type ParseLimits } from '../../src/core/dynload-parse.js';
import { entryCount, type SetEntries } from '../../src/core/fw-plan.js';
import { serializeEntries } from '../../src/core/list-file.js';

export interface PrepareSpec extends ParseLimits {
  kind: DynloadKind;
  format: DynloadFormat | 'auto';
}

export interface Prepared {
  entries: SetEntries;
  /** the entry lines as written to the load pool (checksummed) */
  body: string;
  checksum: string;
  count: number;
  garbage: number;
  /** lines for the log: garbage samples, too-wide and carved entries */
  notes: string[];
}

export class ListRejected extends Error {}

export function prepareList(text: string, spec: PrepareSpec, whitelist: AddressMatcher): Prepared {
  const format = resolveFormat(spec.kind, spec.format, text);
  const c = new EntryCollector(64 * 1024);
  const r = parseDynload(text, format, spec, c);
  if (!r.ok) throw new ListRejected(r.reason);
  const notes: string[] = [];
  if (r.garbage > 0) notes.push(`${r.garbage} garbage lines skipped (${r.samples.join('; ')})`);
  if (r.tooWide.length > 0) {
    notes.push(`${r.tooWide.length} entries wider than /${spec.minPrefixV4} (IPv4) or /${spec.minPrefixV6} (IPv6) dropped: ${r.tooWide.slice(0, 5).join(', ')}`);
  }
  const carved = carveWhitelist(c.finish(), whitelist);
  if (carved.carved.length > 0) {
    notes.push(`${carved.carved.length} entries touch the whitelist and were dropped or split around it: ${carved.carved.slice(0, 5).join(', ')}`);
  }
  const body = serializeEntries(carved.entries);
  const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  return { entries: carved.entries, body, checksum, count: entryCount(carved.entries), garbage: r.garbage, notes };
}
