// Formatting for watcherctl's human output: times and padded columns. Pure.

/** A time for humans: ISO 8601 to the second in UTC; '-' for none; 'never' for a permanent end. */
export function when(t: number | null | undefined, none = '-'): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return none;
  return new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
