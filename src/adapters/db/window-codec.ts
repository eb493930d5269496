// Stores an offender's affair window as one small BLOB (time, weight pairs as float64 little-endian): one
// column instead of a row per affair. The pairs are those of the flat in-memory window (WindowPairs).
import type { WindowPairs } from '../../core/policy/affair-window.js';

/**
 * Encodes the flat window into `buf` at `offset` (8 bytes per number must fit) and returns that region as
 * a view: bind it before the region is reused (SQLite copies a bound blob). An empty window is NULL.
 */
export function encodeWindowInto(pairs: readonly number[], buf: Buffer, offset: number): Buffer | null {
  const n = pairs.length;
  if (n === 0) return null;
  for (let i = 0; i < n; i++) buf.writeDoubleLE(pairs[i]!, offset + 8 * i);
  return buf.subarray(offset, offset + n * 8);
}

/** The flat window a blob holds (a trailing partial pair is ignored). */
export function decodeWindow(blob: Buffer | null | undefined): WindowPairs {
  const pairs: WindowPairs = [];
  if (!blob) return pairs;
  for (let off = 0; off + 16 <= blob.length; off += 16) pairs.push(blob.readDoubleLE(off), blob.readDoubleLE(off + 8));
  return pairs;
}
