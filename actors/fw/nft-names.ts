// Names of everything the nftables backend owns: one table, one base chain, four sets per source.
// Pure; it never talks to nft. Set names are validated so a source can never inject script text.
import { sourceTag, type Family, type SourceName } from '../../src/core/fw-plan.js';
import { WatcherError } from '../../src/core/errors.js';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'watcher';
export const NFT_CHAIN = 'input';
/** `inet watcher`, as written in nft commands. */
export const NFT_TABLE_REF = `${NFT_FAMILY} ${NFT_TABLE}`;
/** Scratch table created and deleted by probe(). */
export const NFT_PROBE_TABLE = 'watcher_probe';

/** v4/v6 hold single addresses (plain hash sets); v4n/v6n hold networks (interval sets). */
export type NftSetKind = 'v4' | 'v4n' | 'v6' | 'v6n';
export const NFT_SET_KINDS: readonly NftSetKind[] = ['v4', 'v4n', 'v6', 'v6n'];

// nft identifiers start with a letter; '-' is not allowed, hence the '_' replacement.
const IDENT = /^[A-Za-z][A-Za-z0-9_]{0,200}$/;

/** The tag of a source in set names: sourceTag with '-' replaced by '_' (dl:spam-x -> dl_spam_x). */
export function nftTag(source: SourceName): string {
  const tag = sourceTag(source).replace(/-/g, '_');
  if (!IDENT.test(tag)) {
    throw new WatcherError('WATCHER_E_CONFIG', `source ${source} gives no valid nftables set name (${tag})`, {
      hint: 'source names must start with a letter',
    });
  }
  return tag;
}

export function nftSetName(source: SourceName, kind: NftSetKind): string {
  return `${nftTag(source)}_${kind}`;
}

export function kindIsInterval(kind: NftSetKind): boolean {
  return kind === 'v4n' || kind === 'v6n';
}

/** Which set of a source one entry belongs to: networks go to the interval set. */
export function kindOfEntry(entry: string, family: Family): NftSetKind {
  const slash = entry.indexOf('/');
  const single = slash < 0 || entry.slice(slash + 1) === (family === 4 ? '32' : '128');
  if (family === 4) return single ? 'v4' : 'v4n';
  return single ? 'v6' : 'v6n';
}

/** The entry as nft wants it: a host route (/32, /128) becomes a bare address. */
export function bareEntry(entry: string, family: Family): string {
  const full = family === 4 ? '/32' : '/128';
  return entry.endsWith(full) ? entry.slice(0, -full.length) : entry;
}
