// The metadata header of a load pool file (<state>/loadpool/<name>.list): "# key: value" comment lines
// that the list parser skips, so the master load reads the file as a plain list. Pure.

export interface PoolMeta {
  source: string;
  /** ISO 8601 time of the download that produced the list */
  fetchedAt: string;
  entries: number;
  /** "sha256:<hex>" of the entry lines; equal checksums mean no firewall work */
  checksum: string;
  etag?: string;
  lastModified?: string;
}

const KEYS: [keyof PoolMeta, string][] = [
  ['source', 'source'],
  ['fetchedAt', 'fetched-at'],
  ['entries', 'entries'],
  ['checksum', 'checksum'],
  ['etag', 'etag'],
  ['lastModified', 'last-modified'],
];

/** Header text for serializeEntries (it prefixes each line with "# "). */
export function formatPoolHeader(name: string, m: PoolMeta): string {
  const lines = [`watcher dynloader ${name}: last good list, written atomically; do not edit`];
  for (const [k, label] of KEYS) {
    const v = m[k];
    // header values are one line each: a newline in an ETag must not start a list entry
    if (v !== undefined) lines.push(`${label}: ${String(v).replace(/[\r\n]/g, ' ')}`);
  }
  return lines.join('\n');
}

/** Reads the header back from the start of a pool file; null when it has none or it is incomplete. */
export function parsePoolHeader(text: string): PoolMeta | null {
  const found = new Map<string, string>();
  for (const line of text.slice(0, 4096).split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^#\s*([a-z-]+):\s?(.*)$/.exec(line);
    if (m) found.set(m[1]!, m[2]!);
  }
  const source = found.get('source');
  const fetchedAt = found.get('fetched-at');
  const entries = Number(found.get('entries'));
  const checksum = found.get('checksum');
  if (source === undefined || fetchedAt === undefined || !Number.isInteger(entries) || checksum === undefined) return null;
  const meta: PoolMeta = { source, fetchedAt, entries, checksum };
  const etag = found.get('etag');
  const lastModified = found.get('last-modified');
  if (etag !== undefined) meta.etag = etag;
  if (lastModified !== undefined) meta.lastModified = lastModified;
  return meta;
}
