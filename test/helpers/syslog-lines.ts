// Log lines as rsyslog hands them to a module: an RFC 3164 header stamped now (local time, so affairs
// fall inside the module's window) and the sshd failure most tests feed.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 3164 timestamp ("Nov  2 07:05:09") of now, in local time. */
export function syslogStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One sshd "Failed password" line from `ip`, as host web1 logs it now. */
export function sshFailed(ip: string): string {
  return `${syslogStamp()} web1 sshd[23796]: Failed password for root from ${ip} port 4242 ssh2`;
}
