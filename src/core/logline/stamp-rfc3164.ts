// Scans the RFC 3164 / traditional-file stamp `Nov 22 01:50:29` (`Nov  2`, optional `.frac`, optional
// year `Nov 22 2026 01:50:29`) into fields. Never chooses a year or a zone: that is year-choice.ts.
import { clockMs, monthAt } from './civil-time.js';
import { d2, d4, digitsEnd, fractionMs, paddedD2 } from './scan.js';

/** Scratch the scanner fills (one per caller module, reused: no allocation per line). */
export interface Rfc3164Fields {
  /** index just past the stamp */
  end: number;
  month: number;
  day: number;
  /** the year when the stamp has one, else 0 */
  year: number;
  /** ms into the day; NaN for an impossible clock time (25:00:00) */
  msOfDay: number;
}

/**
 * Reads the stamp starting at i into out; false when the text there is not shaped like one. Shape only:
 * a shaped stamp with an impossible value still scans, with msOfDay NaN or a day the caller rejects.
 */
export function scanRfc3164Stamp(s: string, i: number, out: Rfc3164Fields): boolean {
  const month = monthAt(s, i);
  if (month === 0 || s.charCodeAt(i + 3) !== 32) return false;
  const day = paddedD2(s, i + 4); // `Nov  2`: syslog pads the day with a space
  if (day < 0 || s.charCodeAt(i + 6) !== 32) return false;
  let t = i + 7;
  let year = 0;
  // `Nov 22 2026 01:50:29` (some network devices, rsyslog's legacy parser accepts it)
  if (s.charCodeAt(t + 2) !== 58 && s.charCodeAt(t + 4) === 32) {
    year = d4(s, t);
    if (year < 0) return false;
    t += 5;
  }
  const h = d2(s, t);
  const mi = d2(s, t + 3);
  const sec = d2(s, t + 6);
  if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(t + 2) !== 58 || s.charCodeAt(t + 5) !== 58) return false;
  let end = t + 8;
  let ms = 0;
  if (s.charCodeAt(end) === 46) {
    const fEnd = digitsEnd(s, end + 1);
    if (fEnd === end + 1) return false;
    ms = fractionMs(s, end + 1, fEnd);
    end = fEnd;
  }
  out.end = end;
  out.month = month;
  out.day = day;
  out.year = year;
  out.msOfDay = clockMs(h, mi, sec, ms);
  return true;
}
