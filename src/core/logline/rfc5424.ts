// Parses the RFC 5424 part after `<PRI>1 `: stamp host app procid msgid structured-data [BOM]msg.
// Never guesses at a truncated header: a missing field or unclosed structured data gives null.
import { baseLine, timeOrNull } from './make-line.js';
import { contentEnd, decimal } from './scan.js';
import { scanIsoStamp, type IsoStamp } from './stamp-iso.js';
import type { LogLine } from './types.js';

const SPACE = 32;
const NIL = 45; // '-'
const iso: IsoStamp = { end: 0, ms: NaN };

/** Index just past the structured data at i (`-` or one or more `[id k="v"]`), -1 when malformed. */
function structuredDataEnd(s: string, i: number, end: number): number {
  if (s.charCodeAt(i) === NIL) return i + 1;
  if (s.charCodeAt(i) !== 91) return -1;
  while (i < end && s.charCodeAt(i) === 91) {
    i++;
    let quoted = false;
    for (;;) {
      if (i >= end) return -1;
      const c = s.charCodeAt(i);
      if (quoted) {
        // inside a PARAM-VALUE `\"`, `\\` and `\]` are escapes: skip the escaped char
        if (c === 92) i++;
        else if (c === 34) quoted = false;
      } else if (c === 34) quoted = true;
      else if (c === 93) break;
      i++;
    }
    i++; // past ']'
  }
  return i;
}

/** The field at i up to the next space: its end index, or -1 when the header ends first. */
function fieldEnd(s: string, i: number, end: number): number {
  const e = s.indexOf(' ', i);
  return e <= i || e >= end ? -1 : e;
}

/** The LogLine of an RFC 5424 line whose `<PRI>1 ` ends just before i; null when truncated or malformed. */
export function parseRfc5424(s: string, i: number, tzOffsetMinutes: number): LogLine | null {
  const end = contentEnd(s, i);
  let time: number | null = null;
  if (s.charCodeAt(i) === NIL) i++;
  else if (scanIsoStamp(s, i, tzOffsetMinutes, iso)) {
    time = timeOrNull(iso.ms);
    i = iso.end;
  } else return null;
  if (s.charCodeAt(i) !== SPACE) return null;
  i++;

  const hostEnd = fieldEnd(s, i, end);
  if (hostEnd < 0) return null;
  const host = hostEnd === i + 1 && s.charCodeAt(i) === NIL ? null : s.slice(i, hostEnd);
  i = hostEnd + 1;

  const appEnd = fieldEnd(s, i, end);
  if (appEnd < 0) return null;
  const program = appEnd === i + 1 && s.charCodeAt(i) === NIL ? '' : s.slice(i, appEnd);
  i = appEnd + 1;

  const procEnd = fieldEnd(s, i, end);
  if (procEnd < 0) return null;
  const pidValue = decimal(s, i, procEnd);
  const pid = pidValue < 0 ? null : pidValue;
  i = procEnd + 1;

  const msgidEnd = fieldEnd(s, i, end);
  if (msgidEnd < 0) return null;
  i = msgidEnd + 1;

  i = structuredDataEnd(s, i, end);
  if (i < 0) return null;
  if (i >= end) return baseLine(time, host, program, pid, '');
  if (s.charCodeAt(i) !== SPACE) return null;
  i++;
  if (s.charCodeAt(i) === 0xfeff) i++; // the BOM that marks a UTF-8 MSG is not part of the text
  return baseLine(time, host, program, pid, s.slice(i, end));
}
