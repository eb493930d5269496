// Apache error-log lines: 2.4's default ErrorLogFormat, 2.2 style, and syslog payloads (no stamp), e.g.
// `[Sun Nov 22 01:50:29.123456 2026] [auth_basic:error] [pid 1:tid 2] [client 203.0.113.5:51234] AH01617: ...`.
// Never reads a `[client ...]` from the message text: only where Apache writes it, before the message.
import { civilMs, clockMs, monthAt } from './civil-time.js';
import { timeOrNull, webLine } from './make-line.js';
import { contentEnd, d2, d4, decimal, digitsEnd, fractionMs, paddedD2 } from './scan.js';
import type { LogLine } from './types.js';

const SPACE = 32;

/** Where the parsed line's non-header facts come from. */
export interface ApacheErrorDefaults {
  program: string;
  host: string | null;
  vhost: string | undefined;
  tzOffsetMinutes: number;
  fallbackTime: number | null;
}

/** Scratch: index just past the `]` of the stamp scanApacheStamp last read. */
let stampEnd = 0;

/**
 * ms of the stamp `Sun Nov 22 01:50:29[.123456] 2026]` at i (after '['), NaN when impossible,
 * undefined when not shaped like one (then the bracket is the level: syslog payloads have no stamp).
 */
function scanApacheStamp(s: string, i: number, tzOffsetMinutes: number): number | undefined {
  if (s.charCodeAt(i + 3) !== SPACE || s.charCodeAt(i + 7) !== SPACE || s.charCodeAt(i + 10) !== SPACE) return undefined;
  const mo = monthAt(s, i + 4);
  // apr_ctime pads the day with a zero; space padding is accepted too
  const dd = paddedD2(s, i + 8);
  const h = d2(s, i + 11);
  const mi = d2(s, i + 14);
  const sec = d2(s, i + 17);
  if (mo === 0 || dd < 0 || h < 0 || mi < 0 || sec < 0) return undefined;
  if (s.charCodeAt(i + 13) !== 58 || s.charCodeAt(i + 16) !== 58) return undefined;
  let k = i + 19;
  let ms = 0;
  if (s.charCodeAt(k) === 46) {
    const fEnd = digitsEnd(s, k + 1);
    if (fEnd === k + 1) return undefined;
    ms = fractionMs(s, k + 1, fEnd);
    k = fEnd;
  }
  const y = d4(s, k + 1);
  if (s.charCodeAt(k) !== SPACE || y < 0 || s.charCodeAt(k + 5) !== 93) return undefined;
  stampEnd = k + 6;
  return civilMs(y, mo, dd, clockMs(h, mi, sec, ms)) - tzOffsetMinutes * 60_000;
}

/**
 * `203.0.113.5:51234` → `203.0.113.5`, `2001:db8::5:51234` → `2001:db8::5` (Apache 2.4 prints the
 * port after the address, IPv6 without brackets); `203.0.113.5` (2.2) stays. An IPv6 address
 * printed without a port by a custom format whose last group is decimal would lose that group.
 */
function clientAddress(s: string, from: number, to: number): string {
  const colon = s.lastIndexOf(':', to - 1);
  if (colon <= from || decimal(s, colon + 1, to) < 0) return s.slice(from, to);
  if (s.charCodeAt(from) === 91 && s.charCodeAt(colon - 1) === 93) return s.slice(from + 1, colon - 1);
  if (s.charCodeAt(colon - 1) === 58) return s.slice(from, to); // `::1`, `2001:db8::`: no port there
  return s.slice(from, colon);
}

/** A chunk Apache writes between `[pid ...]` and `[client ...]`: `(13)Permission denied: `, `mod_x.c(12): `. */
function prefixChunkEnd(s: string, i: number, end: number): number {
  const colon = s.indexOf(': ', i);
  if (colon < 0 || colon >= end || colon - i > 200) return -1;
  if (s.charCodeAt(i) === 40) return colon + 2;
  const file = s.indexOf('.c(', i);
  return file >= 0 && file < colon ? colon + 2 : -1;
}

/**
 * The Apache error line s, or null when it has no `[...]` level bracket at its start (after the
 * optional stamp). Stamps are local time. message is the text after the header brackets
 * (`AH01617: user admin: authentication failure for "/": Password Mismatch`), with an errno or
 * file:line chunk that stood before `[client ...]` kept in front; the `, referer: ...` tail stays.
 * client is the `[client ...]` address without its port; level is `auth_basic:error` (2.2: `error`).
 */
export function parseApacheError(s: string, d: ApacheErrorDefaults): LogLine | null {
  const end = contentEnd(s, 0);
  if (s.charCodeAt(0) !== 91) return null;
  let i = 0;
  let time: number | null = d.fallbackTime;
  const stamp = scanApacheStamp(s, 1, d.tzOffsetMinutes);
  if (stamp !== undefined) {
    time = timeOrNull(stamp);
    if (s.charCodeAt(stampEnd) !== SPACE || s.charCodeAt(stampEnd + 1) !== 91) return null;
    i = stampEnd + 1;
  }
  const levelEnd = s.indexOf(']', i + 1);
  if (levelEnd < 0 || levelEnd >= end || levelEnd - i > 64) return null;
  const sp = s.indexOf(' ', i + 1);
  if (sp >= 0 && sp < levelEnd) return null; // a level bracket has no spaces: this is not Apache's
  const level = s.slice(i + 1, levelEnd);
  i = levelEnd + 1;
  if (s.charCodeAt(i) === SPACE) i++;
  let pid: number | null = null;
  if (s.startsWith('[pid ', i)) {
    const pEnd = digitsEnd(s, i + 5);
    const close = s.indexOf(']', i);
    if (close > 0 && close < end) {
      const v = decimal(s, i + 5, pEnd);
      pid = v < 0 ? null : v;
      i = close + 1;
      if (s.charCodeAt(i) === SPACE) i++;
    }
  }
  const msgStart = i;
  let prefixEnd = i;
  for (let n = 0; n < 2 && !s.startsWith('[client ', prefixEnd); n++) {
    const e = prefixChunkEnd(s, prefixEnd, end);
    if (e < 0) break;
    prefixEnd = e;
  }
  let client: string | undefined;
  let message: string;
  const close = s.startsWith('[client ', prefixEnd) ? s.indexOf(']', prefixEnd) : -1;
  if (close > 0 && close < end) {
    client = clientAddress(s, prefixEnd + 8, close);
    let rest = close + 1;
    if (s.charCodeAt(rest) === SPACE) rest++;
    const tail = s.slice(Math.min(rest, end), end);
    message = prefixEnd > msgStart ? s.slice(msgStart, prefixEnd) + tail : tail;
  } else message = s.slice(Math.min(msgStart, end), end);
  return webLine(time, d.host, d.program, pid, message, d.vhost, client, undefined, level);
}
