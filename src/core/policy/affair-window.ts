// One offender's affairs still inside the time window: exact times and weights, so a ban lands on exactly
// the limit-th affair. Pure and immutable; it holds fewer than `limit` entries because reaching it bans.

/** Parallel arrays, oldest first. */
export interface AffairWindow {
  readonly times: readonly number[];
  readonly weights: readonly number[];
}

export const EMPTY_WINDOW: AffairWindow = Object.freeze({ times: Object.freeze([]), weights: Object.freeze([]) });

/**
 * Drops affairs that are windowMs or more older than `anchor` (the later of `anchor` and the newest
 * affair, so a line with an old header time never pulls the window backwards).
 */
export function pruneWindow(w: AffairWindow, anchor: number, windowMs: number): AffairWindow {
  const n = w.times.length;
  if (n === 0) return w;
  const end = Math.max(anchor, w.times[n - 1]!);
  let first = 0;
  while (first < n && w.times[first]! <= end - windowMs) first++;
  if (first === 0) return w;
  return { times: w.times.slice(first), weights: w.weights.slice(first) };
}

/** Adds one affair at `time` (kept in time order: sources may deliver slightly out of order), then prunes. */
export function addAffair(w: AffairWindow, time: number, weight: number, windowMs: number): AffairWindow {
  const n = w.times.length;
  const newest = n > 0 ? Math.max(w.times[n - 1]!, time) : time;
  const cutoff = newest - windowMs;
  // one pass, one pair of arrays: this runs for every counted line
  const times: number[] = [];
  const weights: number[] = [];
  let placed = time <= cutoff; // too old to count: never placed
  for (let i = 0; i < n; i++) {
    const t = w.times[i]!;
    if (!placed && time < t) {
      times.push(time);
      weights.push(weight);
      placed = true;
    }
    if (t > cutoff) {
      times.push(t);
      weights.push(w.weights[i]!);
    }
  }
  if (!placed) {
    times.push(time);
    weights.push(weight);
  }
  return { times, weights };
}

/** Sum of the weights in the window. */
export function windowWeight(w: AffairWindow): number {
  let sum = 0;
  for (const x of w.weights) sum += x;
  return sum;
}
