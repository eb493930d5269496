// The report as a MIME mail for `sendmail -t -oi`: multipart/alternative with the text report and the
// HTML page, both UTF-8 in base64 (no line of any length or content can break the message). Lines end
// in LF: the sendmail interface takes local text and the MTA writes CRLF on the wire. Pure: the boundary
// and the date are passed in. Header values are checked: no CR/LF reaches a header.

export interface MailParts {
  to: readonly string[];
  subject: string;
  text: string;
  html: string;
  /** RFC 5322 date of the message */
  date: Date;
  /** a boundary not found in base64 output (it has a character base64 never uses) */
  boundary: string;
}

function base64Lines(s: string): string {
  return (Buffer.from(s, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

/** RFC 2047 for a header text that is not plain ASCII; CR and LF never survive. */
export function headerText(s: string): string {
  const one = s.replace(/[\r\n]+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(one)) return one;
  return `=?UTF-8?B?${Buffer.from(one, 'utf8').toString('base64')}?=`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC: "Sun, 22 Nov 2026 06:00:00 +0000". */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function composeMail(m: MailParts): string {
  if (m.to.length === 0) throw new Error('a mail needs a recipient');
  for (const a of m.to) if (/[\s,<>"]/.test(a)) throw new Error(`bad recipient ${JSON.stringify(a)}`);
  if (!/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/.test(m.boundary)) throw new Error('bad MIME boundary');
  const b = m.boundary;
  return [
    `To: ${m.to.join(', ')}`,
    `Subject: ${headerText(m.subject)}`,
    `Date: ${rfc5322Date(m.date)}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${b}"`,
    'Auto-Submitted: auto-generated',
    '',
    'This is a MIME message: the Watcher report as text and as HTML.',
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(m.text),
    '',
    `--${b}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(m.html),
    '',
    `--${b}--`,
    '',
  ].join('\n');
}
