// Reads what follows a syslog stamp: `host tag[pid]: message`, `host tag: message`, or a tag with no host.
// Never rejects a line whose stamp was recognised: without a tag the rest is the message, program ''.
import { baseLine } from './make-line.js';
import { contentEnd, decimal } from './scan.js';
import type { LogLine } from './types.js';

const COLON = 58;
const SPACE = 32;
const LBRACKET = 91;
const RBRACKET = 93;

// Scratch for scanTag: the tag scanner reports three values without allocating.
let tagProgEnd = 0;
let tagPid: number | null = null;
let tagEnd = 0;

/**
 * Scans a tag at i: `name:`, `name[pid]:`, and (not strict) `name[pid]` before a space. strict, used
 * where a host could stand, requires `: ` or `:` at the end so that IPv6 hosts (`2001:db8::1`) are
 * not read as tags. On success sets tagProgEnd, tagPid and tagEnd (index past the colon / bracket).
 */
function scanTag(s: string, i: number, end: number, strict: boolean): boolean {
  let k = i;
  let c = 0;
  while (k < end) {
    c = s.charCodeAt(k);
    if (c === COLON || c === LBRACKET || c === SPACE) break;
    k++;
  }
  if (k === i || k === end) return false;
  tagProgEnd = k;
  tagPid = null;
  if (c === LBRACKET) {
    let j = k + 1;
    while (j < end && s.charCodeAt(j) !== RBRACKET && s.charCodeAt(j) !== SPACE) j++;
    if (j === end || s.charCodeAt(j) !== RBRACKET) return false;
    const pid = decimal(s, k + 1, j);
    tagPid = pid < 0 ? null : pid;
    k = j + 1;
    if (s.charCodeAt(k) !== COLON) {
      // `sshd[123] message`: a bracketed pid marks a tag even without the colon
      if (strict || s.charCodeAt(k) !== SPACE) return false;
      tagEnd = k;
      return true;
    }
  } else if (c !== COLON) {
    return false;
  }
  if (strict && k + 1 < end && s.charCodeAt(k + 1) !== SPACE) return false;
  tagEnd = k + 1;
  return true;
}

/** The message from just past the tag: one separating space belongs to the header (rsyslog adds it). */
function messageFrom(s: string, i: number, end: number): string {
  return s.slice(s.charCodeAt(i) === SPACE ? i + 1 : i, end);
}

/** The LogLine of the text after a stamp; i is the index just past the stamp (a space or the end). */
export function afterStamp(s: string, i: number, time: number | null): LogLine {
  const end = contentEnd(s, i);
  while (i < end && s.charCodeAt(i) === SPACE) i++;
  if (i >= end) return baseLine(time, null, '', null, '');
  let hostEnd = s.indexOf(' ', i);
  if (hostEnd < 0 || hostEnd > end) hostEnd = end;
  // a first token ending in `:` is a tag with no host before it (glibc syslog() to /dev/log);
  // IPv6 hosts (`2001:db8::1`) never end in a colon followed by a space
  if (s.charCodeAt(hostEnd - 1) === COLON && scanTag(s, i, end, true)) {
    return baseLine(time, null, s.slice(i, tagProgEnd), tagPid, messageFrom(s, tagEnd, end));
  }
  const host = s.slice(i, hostEnd);
  const t = hostEnd + 1;
  if (t >= end) return baseLine(time, host, '', null, '');
  if (scanTag(s, t, end, false)) {
    return baseLine(time, host, s.slice(t, tagProgEnd), tagPid, messageFrom(s, tagEnd, end));
  }
  return baseLine(time, host, '', null, s.slice(t, end));
}
