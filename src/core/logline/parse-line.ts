// parseLine: the one entry point a source calls per line, dispatching on the source's configured format.
// Never throws: every parser returns null for what it does not recognise, and 'auto' tries them in turn.
import { parseAccessLog } from './access-log.js';
import type { ParseContext } from './context.js';
import { parseJournalJson } from './journal.js';
import { parseSyslogLine } from './syslog.js';
import type { LogLine } from './types.js';
import { parseWebErrorLog } from './web-error.js';

export const LINE_FORMATS = ['syslog', 'access', 'weberror', 'journal', 'auto'] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];

/** One `journalctl -o json` line: JSON.parse is the only thing here that can throw, so it is caught. */
function parseJournalLine(line: string): LogLine | null {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return null;
  }
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? parseJournalJson(obj as Record<string, unknown>) : null;
}

/**
 * Parses one line in the given format; 'auto' tries syslog, then access, then weberror. null when
 * the format's header is not recognised (the caller may then use the whole line as message with
 * program ''). Syslog payloads from web servers are parsed again by the caller with
 * parseAccessLogMessage / parseWebErrorMessage, since only it knows which tags carry them.
 */
export function parseLine(line: string, format: LineFormat, ctx: ParseContext): LogLine | null {
  switch (format) {
    case 'syslog':
      return parseSyslogLine(line, ctx);
    case 'access':
      return parseAccessLog(line, ctx);
    case 'weberror':
      return parseWebErrorLog(line, ctx);
    case 'journal':
      return typeof line === 'string' ? parseJournalLine(line) : null;
    case 'auto':
      return parseSyslogLine(line, ctx) ?? parseAccessLog(line, ctx) ?? parseWebErrorLog(line, ctx);
    default:
      return null;
  }
}
