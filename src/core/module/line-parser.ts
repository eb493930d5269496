// Turns a raw line of a module's source into a LogLine, once: the source's framing (syslog, access,
// weberror, auto) and, for WB, the web server's own line inside a syslog message. Pure.
import { parseAccessLogMessage, parseLine, parseWebErrorMessage, type LineFormat, type LogLine, type ParseContext } from '../logline/index.js';
import type { ModuleName } from '../logline/types.js';

/** nginx, apache, apache2, httpd, also with a suffix admins give syslog tags (nginx_error, httpd-access). */
const WEB_PROGRAM = /^(nginx|apache2?|httpd)(?:[_-][A-Za-z0-9_-]*)?$/;

export type LineParser = (line: string, ctx: ParseContext) => LogLine | null;

/**
 * Names what lineParser(module, format) does: modules whose parsers have the same kind turn a line into
 * the same LogLine, so a batch several of them read (one file fanned out) is parsed once (ParsedBatches).
 */
export function parserKind(module: ModuleName, format: Exclude<LineFormat, 'journal'>): string {
  return module !== 'WB' || format === 'access' || format === 'weberror' ? format : `web-${format}`;
}

export function lineParser(module: ModuleName, format: Exclude<LineFormat, 'journal'>): LineParser {
  if (module !== 'WB' || format === 'access' || format === 'weberror') return (line, ctx) => parseLine(line, format, ctx);
  // nginx and Apache reach syslog with their own line as the message: parse that payload too, so
  // rules see the same LogLine whether the web log came from a file or through rsyslog.
  return (line, ctx) => refineWeb(parseLine(line, format, ctx), ctx);
}

/** A web server's line carried as a syslog or journal message becomes the parsed web line. */
export function refineWeb(base: LogLine | null, ctx: ParseContext): LogLine | null {
  if (base === null || base.http !== undefined) return base;
  const m = WEB_PROGRAM.exec(base.program);
  if (!m) return base;
  // Rules name the server (nginx, apache), not the tag a site chose for its error log.
  const named = m[1] === base.program ? base : { ...base, program: m[1]! };
  return parseAccessLogMessage(named.message, named, ctx) ?? parseWebErrorMessage(named.message, named, ctx) ?? named;
}
