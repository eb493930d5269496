// Access logs for WB: combined/common (Apache, nginx), Apache vhost_combined and nginx `log_format
// watcher` (vhost first), from a file or as a syslog payload. Never decodes escapes, never throws.
import type { WebContext } from './context.js';
import { timeOrNull, webLine } from './make-line.js';
import { contentEnd, decimal } from './scan.js';
import { CLF_STAMP_LENGTH, scanClfStamp } from './stamp-clf.js';
import type { HttpFields, LogLine } from './types.js';

const SPACE = 32;
const QUOTE = 34;
const DASH = 45;
const BACKSLASH = 92;

/** Index of the quote closing a field opened just before i (skipping `\"` escapes), or end. */
function quotedEnd(s: string, i: number, end: number): number {
  let q = s.indexOf('"', i);
  while (q >= 0 && q < end) {
    let b = q - 1;
    while (b >= i && s.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q; // an even run of backslashes escapes only itself
    q = s.indexOf('"', q + 1);
  }
  return end;
}

/** `www.example.org:443` to `www.example.org` (vhost_combined's %v:%p); IPv6 literals keep their colons. */
function vhostName(s: string, from: number, to: number): string {
  const colon = s.lastIndexOf(':', to - 1);
  if (colon <= from || decimal(s, colon + 1, to) < 0) return s.slice(from, to);
  const inner = s.indexOf(':', from);
  if (inner < colon && s.charCodeAt(colon - 1) !== 93) return s.slice(from, to); // bare IPv6, no port
  return s.slice(from, colon);
}

/** The number field in s[from, to): null for `-` or anything not all digits. */
function numberField(s: string, from: number, to: number): number | null {
  const n = decimal(s, from, to);
  return n < 0 ? null : n;
}

/** The fields of the request line s[q, r) and what follows its closing quote at r. */
function httpFields(s: string, q: number, r: number, end: number, user: string | null): HttpFields {
  let method = '';
  let path = '';
  let protocol = '';
  const sp1 = s.indexOf(' ', q);
  if (sp1 > q && sp1 < r) {
    method = s.slice(q, sp1);
    const sp2 = s.lastIndexOf(' ', r - 1);
    if (sp2 > sp1 && s.startsWith('HTTP/', sp2 + 1)) {
      path = s.slice(sp1 + 1, sp2);
      protocol = s.slice(sp2 + 1, r);
    } else path = s.slice(sp1 + 1, r);
  }
  let status: number | null = null;
  let bytes: number | null = null;
  let referer: string | null = null;
  let userAgent: string | null = null;
  let p = r + 1;
  if (p < end && s.charCodeAt(p) === SPACE) {
    let e = s.indexOf(' ', p + 1);
    if (e < 0 || e > end) e = end;
    status = numberField(s, p + 1, e);
    p = e;
    if (p < end) {
      e = s.indexOf(' ', p + 1);
      if (e < 0 || e > end) e = end;
      bytes = numberField(s, p + 1, e);
      p = e;
      if (s.charCodeAt(p) === SPACE && s.charCodeAt(p + 1) === QUOTE) {
        e = quotedEnd(s, p + 2, end);
        referer = s.slice(p + 2, e);
        p = e + 1;
        if (s.charCodeAt(p) === SPACE && s.charCodeAt(p + 1) === QUOTE) {
          e = quotedEnd(s, p + 2, end);
          userAgent = s.slice(p + 2, e);
        }
      }
    }
  }
  return { method, path, protocol, status, bytes, user, referer, userAgent };
}

/**
 * A line's request fields, sliced only when first read: rules match the message, and the hot path asks
 * only whether a line has request fields (a third of an access line's parse time and eight objects went
 * to fields nobody read). Read-only, like the plain HttpFields it stands for; fields() gives that object.
 */
export class RequestFields implements HttpFields {
  private parsed: HttpFields | null = null;

  constructor(
    private readonly s: string,
    private readonly q: number,
    private readonly r: number,
    private readonly end: number,
    readonly user: string | null,
  ) {}

  /** The fields as a plain object (computed once). */
  fields(): HttpFields {
    return (this.parsed ??= httpFields(this.s, this.q, this.r, this.end, this.user));
  }

  get method(): string {
    return this.fields().method;
  }
  get path(): string {
    return this.fields().path;
  }
  get protocol(): string {
    return this.fields().protocol;
  }
  get status(): number | null {
    return this.fields().status;
  }
  get bytes(): number | null {
    return this.fields().bytes;
  }
  get referer(): string | null {
    return this.fields().referer;
  }
  get userAgent(): string | null {
    return this.fields().userAgent;
  }
}

/**
 * The access-log line in s; time falls back to fallbackTime when the stamp is impossible. Formats
 * are told apart from the left, where only the server writes: `client - user [` (ident is `-`) or
 * `vhost client - user [`. The user field is client-chosen and may hold spaces and brackets, so the
 * stamp is the first ` [stamp] "` after it: a forged one would need a raw `"`, which both servers escape.
 */
function parseAccessText(
  s: string,
  program: string | undefined,
  vhostDefault: string | undefined,
  host: string | null,
  pid: number | null,
  fallbackTime: number | null,
): LogLine | null {
  const end = contentEnd(s, 0);
  const e0 = s.indexOf(' ');
  if (e0 <= 0 || e0 >= end) return null;
  const t1 = e0 + 1;
  const e1 = s.indexOf(' ', t1);
  if (e1 <= t1 || e1 >= end) return null;
  let client: string;
  let vhost = vhostDefault;
  let userStart: number;
  let defaultProgram: string;
  if (e1 === t1 + 1 && s.charCodeAt(t1) === DASH) {
    client = s.slice(0, e0);
    userStart = e1 + 1;
    defaultProgram = 'httpd'; // combined is both servers' default: only the caller knows which wrote it
  } else if (s.charCodeAt(e1 + 1) === DASH && s.charCodeAt(e1 + 2) === SPACE) {
    vhost = vhostName(s, 0, e0);
    client = s.slice(t1, e1);
    userStart = e1 + 3;
    defaultProgram = vhost.length < e0 ? 'apache' : 'nginx'; // only vhost_combined carries a port
  } else return null;

  let k = userStart + 1; // the user field has at least one char (`-`)
  let time: number | undefined;
  for (;;) {
    k = s.indexOf('[', k);
    if (k < 0 || k + CLF_STAMP_LENGTH + 4 > end) return null;
    if (
      s.charCodeAt(k - 1) === SPACE &&
      s.charCodeAt(k + CLF_STAMP_LENGTH + 1) === 93 &&
      s.charCodeAt(k + CLF_STAMP_LENGTH + 2) === SPACE &&
      s.charCodeAt(k + CLF_STAMP_LENGTH + 3) === QUOTE
    ) {
      time = scanClfStamp(s, k + 1);
      if (time !== undefined) break;
    }
    k++;
  }
  const msgStart = k + CLF_STAMP_LENGTH + 3;
  const userEnd = k - 1;
  const user = userEnd === userStart + 1 && s.charCodeAt(userStart) === DASH ? null : s.slice(userStart, userEnd);
  const q = msgStart + 1;
  const r = quotedEnd(s, q, end);
  const http = new RequestFields(s, q, r, end, user);
  return webLine(
    timeOrNull(time) ?? fallbackTime,
    host,
    program ?? defaultProgram,
    pid,
    s.slice(msgStart, end),
    vhost,
    client,
    http,
    undefined,
  );
}

/**
 * Parses one access-log line of these formats (fields separated by single spaces):
 * - combined / common: `%h %l %u %t "%r" %>s %b ["%{Referer}i" "%{User-Agent}i"]` (program 'httpd'),
 * - Apache vhost_combined: `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"` (program
 *   'apache'; vhost without the port),
 * - nginx `log_format watcher '$host $remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent"';` (program 'nginx').
 * ctx.program overrides the program; ctx.vhost names the vhost when the line has none. client is
 * the client field as written (`::ffff:203.0.113.5` not normalised). message is the line from the
 * opening quote of the request to the end, minus trailing CR/LF, exactly as written:
 * `"GET /path HTTP/1.1" 401 123 "ref" "UA"` plus any fields a custom format appends.
 * null when the line is not shaped like one of these formats.
 */
export function parseAccessLog(line: string, ctx: WebContext = {}): LogLine | null {
  if (typeof line !== 'string') return null;
  return parseAccessText(line, ctx.program, ctx.vhost, null, null, null);
}

/**
 * Parses an access-log line that arrived as a syslog message (`nginx: 203.0.113.5 - - [...] "GET ..."`):
 * same formats and message as parseAccessLog; host and pid come from base, program from base (when
 * not '') else ctx.program else the format's default, time from the access-log stamp else base.time.
 */
export function parseAccessLogMessage(message: string, base: LogLine, ctx: WebContext = {}): LogLine | null {
  if (typeof message !== 'string') return null;
  const program = base.program !== '' ? base.program : ctx.program;
  return parseAccessText(message, program, base.vhost ?? ctx.vhost, base.host, base.pid, base.time);
}
