// parseJournalJson: one `journalctl -o json` record (already JSON.parse'd) to a LogLine.
// Never trusts the record's shape: any field may be missing, null (too large), an array or a byte array.
import { baseLine } from './make-line.js';
import { decimal } from './scan.js';
import type { LogLine } from './types.js';

// fatal: false decodes invalid UTF-8 to U+FFFD instead of throwing (binary MESSAGE fields)
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** A byte array from journalctl (binary field) as lossy UTF-8; null when not all elements are numbers. */
function decodeBytes(arr: unknown[]): string | null {
  const bytes = new Uint8Array(arr.length);
  for (let k = 0; k < arr.length; k++) {
    const b = arr[k];
    if (typeof b !== 'number') return null;
    bytes[k] = b; // Uint8Array stores modulo 256; journalctl only writes 0-255
  }
  return utf8.decode(bytes);
}

/**
 * A field's text: a string as is, a byte array decoded, and for a field logged several times (an
 * array of values) the first value. null for missing, null (journalctl's "too large") and other types.
 * One level only: journalctl never nests deeper, and recursion on hostile input could exhaust the stack.
 */
function fieldText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v) || v.length === 0) return null;
  const first: unknown = v[0];
  if (typeof first === 'number') return decodeBytes(v);
  if (typeof first === 'string') return first;
  return Array.isArray(first) && typeof first[0] === 'number' ? decodeBytes(first) : null;
}

/** A decimal field (pid) as a number, null when absent or not all digits. */
function fieldNumber(v: unknown): number | null {
  const s = fieldText(v);
  if (s === null) return null;
  const n = decimal(s, 0, s.length);
  return n < 0 ? null : n;
}

/** A µs stamp field as whole ms, null when absent or not all digits (16 digits today: too many for decimal). */
function fieldMicrosAsMs(v: unknown): number | null {
  const s = fieldText(v);
  if (s === null || s.length === 0 || s.length > 18 || decimal(s, Math.max(0, s.length - 3), s.length) < 0) return null;
  if (s.length <= 3) return 0;
  const ms = decimal(s, 0, s.length - 3);
  return ms < 0 ? null : ms;
}

/**
 * Maps a journal record: message = MESSAGE (byte arrays decoded as lossy UTF-8), program =
 * SYSLOG_IDENTIFIER or else _COMM or else '', pid = _PID or else SYSLOG_PID, host = _HOSTNAME,
 * time = __REALTIME_TIMESTAMP (µs; ms kept) or else _SOURCE_REALTIME_TIMESTAMP. null when the
 * record is not an object or has no usable MESSAGE.
 */
export function parseJournalJson(obj: Record<string, unknown>): LogLine | null {
  if (typeof obj !== 'object' || obj === null) return null;
  const message = fieldText(obj.MESSAGE);
  if (message === null) return null;
  return baseLine(
    fieldMicrosAsMs(obj.__REALTIME_TIMESTAMP) ?? fieldMicrosAsMs(obj._SOURCE_REALTIME_TIMESTAMP),
    fieldText(obj._HOSTNAME),
    fieldText(obj.SYSLOG_IDENTIFIER) ?? fieldText(obj._COMM) ?? '',
    fieldNumber(obj._PID) ?? fieldNumber(obj.SYSLOG_PID),
    message,
  );
}
