// Copies of strings that are kept for long: a line's fields are slices of the whole chunk a reader
// decoded (128 KiB), and one kept slice keeps its whole chunk alive. Pure.

/**
 * `s` as a string of its own, not a view into a bigger one. For text that outlives its line (an
 * offender's address, a cache key): a kept slice pinned its 256 KiB chunk (the read size then), so 100,000 offenders held
 * every chunk they came from.
 */
export function ownString(s: string): string {
  // JSON.parse builds its result from the quoted copy: fresh storage, never a slice of `s`'s parent
  return JSON.parse(JSON.stringify(s)) as string;
}
