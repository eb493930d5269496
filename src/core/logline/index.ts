// The header-parsing API of Watcher: one LogLine per log line, whatever the format. Re-exports only;
// nothing here may do I/O or read the clock (see context.ts for what callers pass in instead).
export type { ParseContext, SyslogContext, WebContext } from './context.js';
export type { HttpFields, LogLine } from './types.js';
export { parseAccessLog, parseAccessLogMessage } from './access-log.js';
export { parseJournalJson } from './journal.js';
export { LINE_FORMATS, parseLine, type LineFormat } from './parse-line.js';
export { parseSyslogLine } from './syslog.js';
export { parseWebErrorLog, parseWebErrorMessage } from './web-error.js';
