// Renders live batches of the nftables backend: coalesced single-entry adds and removals, one line each.
// Pure text building, never runs nft; interval-set changes arrive already planned (nft-intervals.ts).
import type { EntryOp } from '../../src/core/fw-plan.js';
import { bareEntry, kindIsInterval, kindOfEntry, NFT_TABLE_REF, nftSetName, type NftSetKind } from './nft-names.js';
import { checkEntries, setSpec } from './nft-script.js';

/** One element to add to or delete from one named set. */
export interface SetChange {
  set: string;
  kind: NftSetKind;
  op: 'add' | 'del';
  entry: string;
}

/** The last operation per (source, entry) wins: the order of unrelated entries does not matter. */
export function coalesce(ops: readonly EntryOp[]): EntryOp[] {
  const last = new Map<string, EntryOp>();
  for (const op of ops) {
    const key = `${op.source}\u0000${bareEntry(op.entry, op.family)}`;
    last.delete(key); // keep the position of the latest op
    last.set(key, op);
  }
  return [...last.values()];
}

/** Coalesced ops as set changes; entries are validated here because they are pasted into scripts. */
export function setChanges(ops: readonly EntryOp[]): SetChange[] {
  return coalesce(ops).map((op) => {
    const entry = bareEntry(op.entry, op.family);
    const kind = kindOfEntry(entry, op.family);
    checkEntries([entry], kind);
    return { set: nftSetName(op.source, kind), kind, op: op.op, entry };
  });
}

/**
 * Adds use `add set` with elements: nft 1.0.6 answers any `add element` / `delete element` by first
 * dumping every interval set in the ruleset (0.3-0.5 s next to 50k intervals); `add set` does not
 * (~8 ms), and the kernel treats a present element as success. Interval changes must come planned
 * against the set's contents (nft-intervals.ts): on this path nobody checks overlaps in userspace.
 */
function addLine(c: SetChange): string {
  return `add set ${NFT_TABLE_REF} ${c.set} { ${setSpec(c.kind)} elements = { ${c.entry} } }`;
}

/**
 * One line per change. A plain-set removal is "add; delete": nft 1.0.6 has no `destroy`, and deleting
 * an absent element would abort the whole batch. Interval removals are planned, so they are present.
 */
export function renderChanges(changes: readonly SetChange[]): string {
  const lines = changes.map((c) => {
    if (c.op === 'add') return addLine(c);
    const del = `delete element ${NFT_TABLE_REF} ${c.set} { ${c.entry} }`;
    return kindIsInterval(c.kind) ? del : `${addLine(c)}; ${del}`;
  });
  return lines.join('\n') + '\n';
}
