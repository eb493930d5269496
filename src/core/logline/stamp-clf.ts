// Scans the Common Log Format stamp `22/Nov/2026:01:50:29 +0000` (Apache %t, nginx $time_local):
// fixed width, offset always present. Never accepts a near miss: the stamp anchors the access-log parse.
import { civilMs, clockMs, monthAt } from './civil-time.js';
import { d2, d4 } from './scan.js';

/** Length of a CLF stamp without its brackets. */
export const CLF_STAMP_LENGTH = 26;

/**
 * ms since the epoch of the stamp at i; NaN when shaped right but impossible (31/Feb), undefined when
 * the text there is not a CLF stamp at all.
 */
export function scanClfStamp(s: string, i: number): number | undefined {
  const d = d2(s, i);
  const mo = monthAt(s, i + 3);
  const y = d4(s, i + 7);
  const h = d2(s, i + 12);
  const mi = d2(s, i + 15);
  const sec = d2(s, i + 18);
  const sign = s.charCodeAt(i + 21);
  const oh = d2(s, i + 22);
  const om = d2(s, i + 24);
  if (d < 0 || mo === 0 || y < 0 || h < 0 || mi < 0 || sec < 0 || oh < 0 || om < 0) return undefined;
  if (s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47 || s.charCodeAt(i + 11) !== 58) return undefined;
  if (s.charCodeAt(i + 14) !== 58 || s.charCodeAt(i + 17) !== 58 || s.charCodeAt(i + 20) !== 32) return undefined;
  if (sign !== 43 && sign !== 45) return undefined;
  const offset = oh <= 23 && om <= 59 ? (sign === 45 ? -1 : 1) * (oh * 60 + om) : NaN;
  return civilMs(y, mo, d, clockMs(h, mi, sec, 0)) - offset * 60_000;
}
