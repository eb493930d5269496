// A few entries per set known to have been applied, so verify() can tell an emptied set cheaply:
// listing a 1M-element set takes ~25 s; asking whether 4 known elements exist, 15 ms to 0.4 s.
import type { SetEntries } from '../../src/core/fw-plan.js';
import { formatV4 } from '../../src/core/fw-plan.js';
import { NFT_SET_KINDS, type NftSetKind } from './nft-names.js';
import type { SetChange } from './nft-batch.js';

export const SAMPLES_PER_SET = 4;

function spread<T>(n: number, at: (i: number) => T): T[] {
  if (n <= SAMPLES_PER_SET) return Array.from({ length: n }, (_, i) => at(i));
  return Array.from({ length: SAMPLES_PER_SET }, (_, i) => at(Math.floor((i * (n - 1)) / (SAMPLES_PER_SET - 1))));
}

function samplesOf(entries: SetEntries, kind: NftSetKind): string[] {
  if (kind === 'v4') return spread(entries.v4.length, (i) => formatV4(entries.v4[i]!));
  const list = kind === 'v4n' ? entries.v4nets : kind === 'v6' ? entries.v6 : entries.v6nets;
  return spread(list.length, (i) => list[i]!);
}

/** Set name -> sample entries believed present. No samples means "unknown", not "empty". */
export class SampleBook {
  private readonly bySet = new Map<string, Set<string>>();

  clear(): void {
    this.bySet.clear();
  }

  /** After a load or refill of one source: its sets hold exactly these entries now. */
  loaded(setName: (kind: NftSetKind) => string, entries: SetEntries): void {
    for (const kind of NFT_SET_KINDS) this.bySet.set(setName(kind), new Set(samplesOf(entries, kind)));
  }

  /** After a successful batch: removed entries stop being samples, added ones top sets up. */
  applied(changes: readonly SetChange[]): void {
    for (const c of changes) {
      const set = this.bySet.get(c.set) ?? new Set<string>();
      if (c.op === 'del') set.delete(c.entry);
      else if (set.size < SAMPLES_PER_SET) set.add(c.entry);
      this.bySet.set(c.set, set);
    }
  }

  samples(setName: string): string[] {
    return [...(this.bySet.get(setName) ?? [])];
  }
}
