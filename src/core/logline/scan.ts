// Character-level helpers for hand-written header scanners: digits, fixed-width numbers, line ends.
// Must never throw or allocate: out-of-range reads (charCodeAt gives NaN) simply fail the checks.

/** true when the char at i is an ASCII digit (false past the end: NaN fails both comparisons) */
export function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** the two-digit number at i, or -1 */
export function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  // written as positive tests so NaN (past the end) fails
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

/** the two-digit number at i, or a space and one digit (`Nov  2`), or -1 */
export function paddedD2(s: string, i: number): number {
  if (s.charCodeAt(i) !== 32) return d2(s, i);
  const b = s.charCodeAt(i + 1) - 48;
  return b >= 0 && b <= 9 ? b : -1;
}

/** the four-digit number at i, or -1 */
export function d4(s: string, i: number): number {
  const hi = d2(s, i);
  const lo = d2(s, i + 2);
  return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}

/** Index just past the run of digits starting at i (i itself when none). */
export function digitsEnd(s: string, i: number): number {
  while (isDigitAt(s, i)) i++;
  return i;
}

/**
 * The decimal number in s[from, to), or -1 when the range is empty, holds a non-digit, or has more
 * than 15 digits (so the result is always a safe integer).
 */
export function decimal(s: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Milliseconds from a fraction of a second whose first digit is at i (digits after the first three
 * are ignored: LogLine times are ms). Callers find the fraction's end with digitsEnd.
 */
export function fractionMs(s: string, i: number, end: number): number {
  let ms = 0;
  let scale = 100;
  for (let k = i; k < end && scale >= 1; k++, scale /= 10) ms += (s.charCodeAt(k) - 48) * scale;
  return ms;
}

/** End of the content of a line: before any trailing CR/LF left by the caller's line splitter. */
export function contentEnd(s: string, from: number): number {
  let end = s.length;
  while (end > from) {
    const c = s.charCodeAt(end - 1);
    if (c !== 10 && c !== 13) break;
    end--;
  }
  return end;
}
