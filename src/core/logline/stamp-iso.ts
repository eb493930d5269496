// Scans RFC 3339 / ISO 8601 stamps as rsyslog (Debian 13), RFC 5424 and journalctl short-iso write them:
// `2026-11-22T01:50:29.123456+00:00`, `Z`, `+0100`, no fraction. Never accepts a partial stamp.
import { civilMs, clockMs } from './civil-time.js';
import { d2, d4, digitsEnd, fractionMs } from './scan.js';

/** Scratch the scanner fills (one per caller module, reused). */
export interface IsoStamp {
  /** index just past the stamp */
  end: number;
  /** ms since the epoch; NaN for an impossible date, time or offset */
  ms: number;
}

/**
 * Reads the stamp at i into out; false when not shaped like one. A stamp without an offset is local
 * time and gets localOffsetMinutes (east positive).
 */
export function scanIsoStamp(s: string, i: number, localOffsetMinutes: number, out: IsoStamp): boolean {
  const y = d4(s, i);
  const mo = d2(s, i + 5);
  const d = d2(s, i + 8);
  const t = s.charCodeAt(i + 10);
  if (y < 0 || mo < 0 || d < 0 || s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 7) !== 45) return false;
  if (t !== 84 && t !== 116) return false; // T or t
  const h = d2(s, i + 11);
  const mi = d2(s, i + 14);
  const sec = d2(s, i + 17);
  if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(i + 13) !== 58 || s.charCodeAt(i + 16) !== 58) return false;
  let end = i + 19;
  let frac = 0;
  if (s.charCodeAt(end) === 46 || s.charCodeAt(end) === 44) {
    const fEnd = digitsEnd(s, end + 1);
    if (fEnd === end + 1) return false;
    frac = fractionMs(s, end + 1, fEnd);
    end = fEnd;
  }
  let offsetMin = localOffsetMinutes;
  const z = s.charCodeAt(end);
  if (z === 90 || z === 122) {
    offsetMin = 0;
    end++;
  } else if (z === 43 || z === 45) {
    const oh = d2(s, end + 1);
    if (oh < 0) return false;
    let om: number;
    if (s.charCodeAt(end + 3) === 58) {
      om = d2(s, end + 4);
      end += 6;
    } else {
      om = d2(s, end + 3);
      end += 5;
    }
    if (om < 0) return false;
    offsetMin = oh <= 23 && om <= 59 ? (z === 45 ? -1 : 1) * (oh * 60 + om) : NaN;
  }
  out.end = end;
  out.ms = civilMs(y, mo, d, clockMs(h, mi, sec, frac)) - offsetMin * 60_000;
  return true;
}
