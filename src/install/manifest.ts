// The prep manifest: every path prep created, with the checksum of what it wrote, so unprep removes
// exactly that and never a file the admin changed since. Pure (parse/serialise/checksum).
import { createHash } from 'node:crypto';
import type { Role } from './plan.js';

export type ManifestEntry =
  | { type: 'dir'; path: string }
  | { type: 'file'; path: string; sha256: string; role: Role }
  | { type: 'symlink'; path: string; target: string };

export interface Manifest {
  version: 1;
  /** in creation order: unprep walks it backwards */
  entries: ManifestEntry[];
}

export const emptyManifest = (): Manifest => ({ version: 1, entries: [] });

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function parseManifest(text: string, file: string): Manifest {
  const m = JSON.parse(text) as Manifest;
  if (m?.version !== 1 || !Array.isArray(m.entries)) throw new Error(`${file}: not a watcher prep manifest (version 1)`);
  return m;
}

/** Deterministic (no time stamps): a second prep that changes nothing writes the same bytes. */
export function serializeManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 1)}\n`;
}

/** Records (or replaces) the entry for a path, keeping the first creation position. */
export function recordEntry(m: Manifest, e: ManifestEntry): void {
  const i = m.entries.findIndex((x) => x.path === e.path);
  if (i >= 0) m.entries[i] = e;
  else m.entries.push(e);
}

export function entryFor(m: Manifest, path: string): ManifestEntry | undefined {
  return m.entries.find((x) => x.path === path);
}
