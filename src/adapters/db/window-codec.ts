// Stores an offender's affair window as one small BLOB (time, weight pairs as float64 little-endian): one
// column instead of a row per affair, read and written once per offender per batch.
import { EMPTY_WINDOW, type AffairWindow } from '../../core/policy/affair-window.js';

// One scratch buffer for every encode: SQLite copies a bound blob, so the hot path allocates nothing.
let scratch = Buffer.alloc(16 * 16);

/** The window as a blob view into a shared scratch buffer: valid until the next call, bind it at once. */
export function encodeWindow(w: AffairWindow): Buffer | null {
  const n = w.times.length;
  if (n === 0) return null;
  if (scratch.length < n * 16) scratch = Buffer.alloc(n * 32);
  for (let i = 0; i < n; i++) {
    scratch.writeDoubleLE(w.times[i]!, 16 * i);
    scratch.writeDoubleLE(w.weights[i]!, 16 * i + 8);
  }
  return scratch.subarray(0, n * 16);
}

export function decodeWindow(blob: Buffer | null | undefined): AffairWindow {
  if (!blob || blob.length < 16) return EMPTY_WINDOW;
  const times: number[] = [];
  const weights: number[] = [];
  for (let off = 0; off + 16 <= blob.length; off += 16) {
    times.push(blob.readDoubleLE(off));
    weights.push(blob.readDoubleLE(off + 8));
  }
  return { times, weights };
}
