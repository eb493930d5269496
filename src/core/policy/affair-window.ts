// One offender's affairs still inside the time window: exact times and weights, so a ban lands on exactly
// the limit-th affair. Pure: immutable operations, and in-place twins on a flat array for the hot path.

/** Parallel arrays, oldest first. */
export interface AffairWindow {
  readonly times: readonly number[];
  readonly weights: readonly number[];
}

/**
 * The same window as one flat array its owner changes in place: [time0, weight0, time1, weight1, ...],
 * oldest first. One array instead of three objects: the hot path touches one offender per line.
 */
export type WindowPairs = number[];

export const EMPTY_WINDOW: AffairWindow = Object.freeze({ times: Object.freeze([]), weights: Object.freeze([]) });

export function toPairs(w: AffairWindow): WindowPairs {
  const pairs: WindowPairs = [];
  for (let i = 0; i < w.times.length; i++) pairs.push(w.times[i]!, w.weights[i]!);
  return pairs;
}

export function fromPairs(pairs: readonly number[]): AffairWindow {
  const times: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    times.push(pairs[i]!);
    weights.push(pairs[i + 1]!);
  }
  return { times, weights };
}

// Drops the affairs at or before `cutoff` (the oldest ones) in place.
function dropUpTo(pairs: WindowPairs, cutoff: number): void {
  const n = pairs.length;
  let first = 0;
  while (first < n && pairs[first]! <= cutoff) first += 2;
  if (first === 0) return;
  for (let i = first; i < n; i++) pairs[i - first] = pairs[i]!;
  truncatePairs(pairs, n - first);
}

/**
 * Shortens a window array to `length` numbers in place, keeping its backing store: `length = 0` makes
 * V8 drop the store, and the next push allocates a new one (a young-generation collection every few
 * thousand affairs on the hot path, measured); pop() never does.
 */
export function truncatePairs(pairs: WindowPairs, length = 0): void {
  while (pairs.length > length) pairs.pop();
}

/**
 * Drops affairs that are windowMs or more older than `anchor` (the later of `anchor` and the newest
 * affair, so a line with an old header time never pulls the window backwards).
 */
export function pruneWindow(w: AffairWindow, anchor: number, windowMs: number): AffairWindow {
  const n = w.times.length;
  if (n === 0) return w;
  const pairs = toPairs(w);
  pruneWindowIn(pairs, anchor, windowMs);
  return pairs.length === 2 * n ? w : fromPairs(pairs);
}

/** pruneWindow in place. */
export function pruneWindowIn(pairs: WindowPairs, anchor: number, windowMs: number): void {
  const n = pairs.length;
  if (n === 0) return;
  dropUpTo(pairs, Math.max(anchor, pairs[n - 2]!) - windowMs);
}

/** Adds one affair at `time` (kept in time order: sources may deliver slightly out of order), then prunes. */
export function addAffair(w: AffairWindow, time: number, weight: number, windowMs: number): AffairWindow {
  const pairs = toPairs(w);
  addAffairIn(pairs, time, weight, windowMs);
  return fromPairs(pairs);
}

/** addAffair in place: this runs for every counted line. */
export function addAffairIn(pairs: WindowPairs, time: number, weight: number, windowMs: number): void {
  const n = pairs.length;
  const cutoff = (n > 0 ? Math.max(pairs[n - 2]!, time) : time) - windowMs;
  dropUpTo(pairs, cutoff);
  if (time <= cutoff) return; // too old to count: never placed
  // after the affairs at or before `time`: nearly always at the end
  let at = pairs.length;
  while (at > 0 && pairs[at - 2]! > time) at -= 2;
  if (at === pairs.length) {
    pairs.push(time, weight);
    return;
  }
  pairs.push(0, 0); // grown first, so the array never has a hole
  for (let i = pairs.length - 3; i >= at; i--) pairs[i + 2] = pairs[i]!;
  pairs[at] = time;
  pairs[at + 1] = weight;
}

/** Sum of the weights in the window. */
export function windowWeight(w: AffairWindow): number {
  let sum = 0;
  for (let i = 0; i < w.weights.length; i++) sum += w.weights[i]!;
  return sum;
}

/** windowWeight of a flat window. */
export function pairsWeight(pairs: readonly number[]): number {
  let sum = 0;
  for (let i = 1; i < pairs.length; i += 2) sum += pairs[i]!;
  return sum;
}
