// parseWebErrorLog / parseWebErrorMessage: nginx or Apache error lines, told apart by their first char.
// Never guesses beyond the two servers' own formats: anything else is null.
import { parseApacheError } from './apache-error.js';
import type { WebContext } from './context.js';
import { parseNginxError } from './nginx-error.js';
import type { LogLine } from './types.js';

/**
 * An nginx (`2026/11/22 ...`, program 'nginx') or Apache (`[Sun Nov 22 ...]`, program 'apache')
 * error line from a file; ctx.program overrides the program, ctx.vhost is the vhost when the line
 * names none, stamps are local time (ctx.tzOffsetMinutes). message: see nginx-error.ts, apache-error.ts.
 */
export function parseWebErrorLog(line: string, ctx: WebContext = {}): LogLine | null {
  if (typeof line !== 'string') return null;
  const tz = ctx.tzOffsetMinutes ?? 0;
  const c = line.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    return parseNginxError(line, { program: ctx.program ?? 'nginx', host: null, vhost: ctx.vhost, tzOffsetMinutes: tz });
  }
  if (c === 91) {
    return parseApacheError(line, {
      program: ctx.program ?? 'apache',
      host: null,
      vhost: ctx.vhost,
      tzOffsetMinutes: tz,
      fallbackTime: null,
    });
  }
  return null;
}

/**
 * An error line that arrived as a syslog message: nginx keeps its own stamp in the payload
 * (`nginx: 2026/11/22 01:50:29 [error] ...`), Apache drops it (`apache2[12]: [auth_basic:error] ...`).
 * host and pid come from base; program from base (when not '') or else as parseWebErrorLog; time from
 * the payload's stamp, else base.time.
 */
export function parseWebErrorMessage(message: string, base: LogLine, ctx: WebContext = {}): LogLine | null {
  if (typeof message !== 'string') return null;
  const tz = ctx.tzOffsetMinutes ?? 0;
  const vhost = base.vhost ?? ctx.vhost;
  const c = message.charCodeAt(0);
  let line: LogLine | null = null;
  if (c >= 48 && c <= 57) {
    const program = base.program !== '' ? base.program : (ctx.program ?? 'nginx');
    line = parseNginxError(message, { program, host: base.host, vhost, tzOffsetMinutes: tz });
    if (line !== null && line.time === null) line.time = base.time;
  } else if (c === 91) {
    const program = base.program !== '' ? base.program : (ctx.program ?? 'apache');
    line = parseApacheError(message, { program, host: base.host, vhost, tzOffsetMinutes: tz, fallbackTime: base.time });
  }
  if (line !== null && line.pid === null) line.pid = base.pid;
  return line;
}
