// nginx error-log lines: `2026/11/22 01:50:29 [error] 1234#1234: *5 text, client: X, server: Y, ...`,
// from a file or as a syslog payload. Never takes client or vhost from a field that appears twice.
import { civilMs, clockMs } from './civil-time.js';
import { timeOrNull, webLine } from './make-line.js';
import { contentEnd, d2, d4, decimal, digitsEnd } from './scan.js';
import { uniqueTailField } from './tail-field.js';
import type { LogLine } from './types.js';

/** Where the parsed line's non-header facts come from. */
export interface NginxErrorDefaults {
  program: string;
  host: string | null;
  vhost: string | undefined;
  tzOffsetMinutes: number;
}

/**
 * The nginx error line s, or null when it has no nginx header. Its stamp is local time. message is
 * the text after `pid#tid: ` with the connection number `*5 ` removed, to the end (the appended
 * `, client: ..., server: ..., request: "...", host: "..."` stays in it). client and vhost (from
 * `server:`) are set only when their field occurs exactly once in the line (see tail-field.ts).
 */
export function parseNginxError(s: string, d: NginxErrorDefaults): LogLine | null {
  const end = contentEnd(s, 0);
  const y = d4(s, 0);
  const mo = d2(s, 5);
  const day = d2(s, 8);
  const h = d2(s, 11);
  const mi = d2(s, 14);
  const sec = d2(s, 17);
  if (y < 0 || mo < 0 || day < 0 || h < 0 || mi < 0 || sec < 0) return null;
  if (s.charCodeAt(4) !== 47 || s.charCodeAt(7) !== 47 || s.charCodeAt(10) !== 32) return null;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 32 || s.charCodeAt(20) !== 91) return null;
  const levelEnd = s.indexOf(']', 21);
  if (levelEnd <= 21 || levelEnd > 28 || s.charCodeAt(levelEnd + 1) !== 32) return null;
  const pidStart = levelEnd + 2;
  const pidEnd = digitsEnd(s, pidStart);
  if (pidEnd === pidStart || s.charCodeAt(pidEnd) !== 35) return null; // '#'
  const tidEnd = digitsEnd(s, pidEnd + 1);
  if (tidEnd === pidEnd + 1 || s.charCodeAt(tidEnd) !== 58) return null;
  let m = tidEnd + 1;
  if (s.charCodeAt(m) === 32) m++;
  if (s.charCodeAt(m) === 42) {
    // `*5 `: the connection number, noise for rules
    const cEnd = digitsEnd(s, m + 1);
    if (cEnd > m + 1 && s.charCodeAt(cEnd) === 32) m = cEnd + 1;
  }
  const pid = decimal(s, pidStart, pidEnd);
  const time = civilMs(y, mo, day, clockMs(h, mi, sec, 0)) - d.tzOffsetMinutes * 60_000;
  return webLine(
    timeOrNull(time),
    d.host,
    d.program,
    pid < 0 ? null : pid,
    s.slice(m, Math.max(m, end)),
    uniqueTailField(s, ', server: ', m, end) ?? d.vhost,
    uniqueTailField(s, ', client: ', m, end),
    undefined,
    s.slice(21, levelEnd),
  );
}
