// The shapes shared by the detection pipeline: a log line after its header was parsed, and a
// detection (one rule matched one line). Pure data; no I/O.

/** The detection modules: LG logins (sshd), MX mail transport, MB mailbox access and SASL, WB web. */
export const MODULES = ['LG', 'MX', 'MB', 'WB'] as const;
export type ModuleName = (typeof MODULES)[number];

/** A log line with its header parsed once, whatever format it came in. */
export interface LogLine {
  /** when the line says it happened, ms since the epoch; null when the header had no usable time */
  time: number | null;
  /** the host named in the header, if any */
  host: string | null;
  /** the program (syslog tag without [pid]): sshd, postfix/smtpd, dovecot, nginx, ...; '' when unknown */
  program: string;
  pid: number | null;
  /** the text after the header: what rules match against (attacker-influenced: never trust its shape) */
  message: string;
  /** WB only: the virtual host, when the format carries it */
  vhost?: string;
  /** WB access logs: the client address from the access-log field (not from free text) */
  client?: string;
  /** WB access logs: the request fields as logged (escapes left as written, never decoded) */
  http?: HttpFields;
  /** WB error logs: the severity bracket as written: nginx `error`, Apache `auth_basic:error` */
  level?: string;
}

/**
 * The fields of one access-log request, sliced from the line as written: `\"`/`\x22` escapes stay,
 * `-` stays `-`. The request line is attacker-chosen; a malformed one leaves method/path/protocol ''.
 */
export interface HttpFields {
  /** `GET`; '' when the request line has no space (`-`, TLS bytes on a plain port) */
  readonly method: string;
  /** the request target between the first and last space of the request line; '' when unknown */
  readonly path: string;
  /** `HTTP/1.1`; '' for a missing or HTTP/0.9-shaped request line */
  readonly protocol: string;
  /** the status code; null when the field is missing or not a number */
  readonly status: number | null;
  /** the response size field; null when `-`, missing or not a number */
  readonly bytes: number | null;
  /** the authenticated user field (`%u` / `$remote_user`); null when `-` */
  readonly user: string | null;
  /** the quoted Referer field's content; null when the format has none (common log format) */
  readonly referer: string | null;
  /** the quoted User-Agent field's content; null when the format has none */
  readonly userAgent: string | null;
}

/** One rule matched one line: an affair candidate for the module. */
export interface Detection {
  /** normalised address (IPv4-mapped IPv6 becomes IPv4) */
  ip: string;
  family: 4 | 6;
  /** an IPv4 address as its unsigned number, -1 for IPv6: the detector has it already, and the
   *  offender book finds its offender by it without reading the text again (absent: read `ip`) */
  v4?: number;
  /** rule id, e.g. "sshd-failed-password" */
  rule: string;
  /** event kind, e.g. "auth-failure", "invalid-user", "scan", "relay-denied", "flood" */
  event: string;
  /** affairs this line counts; a weight >= the module's limit bans at once */
  weight: number;
  user?: string;
  vhost?: string;
  /** time of the line (from its header), ms; null when unknown (the module then uses its clock) */
  time: number | null;
}
