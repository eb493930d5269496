// What header parsers are told about the world, since they must not read a clock or the system zone:
// the current year and time for year-less stamps, the local offset, and per-source naming.

/** For syslog lines. */
export interface SyslogContext {
  /**
   * The current local year: RFC 3164 stamps (`Nov 22 01:50:29`) carry none. With nowMs, a stamp more
   * than a day in the future moves to year - 1 (December lines read in January) and one more than
   * 300 days in the past moves to year + 1 when that is not in the future (a year the caller let go stale).
   */
  year: number;
  /**
   * Offset of local time from UTC in minutes, east positive (CET = 60, EDT = -240: the opposite sign
   * of Date#getTimezoneOffset). Applied to stamps without an offset: RFC 3164, nginx and Apache error
   * logs. Default 0. One offset per call: lines from the hour around a DST change may be off by an hour.
   */
  tzOffsetMinutes?: number;
  /** now, ms since the epoch: enables the year choice above */
  nowMs?: number;
}

/** For web server logs (access and error). */
export interface WebContext {
  /** see SyslogContext.tzOffsetMinutes: error-log stamps are local time; access-log stamps carry their offset */
  tzOffsetMinutes?: number;
  /** program to report; default per format: see access-log.ts and web-error.ts */
  program?: string;
  /** the virtual host this source belongs to, used when the line itself names none */
  vhost?: string;
}

/** Everything parseLine may need, whatever the format. */
export type ParseContext = SyslogContext & WebContext;
