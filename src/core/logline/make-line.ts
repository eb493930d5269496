// Builds LogLine results with one fixed property order per kind, so V8 keeps one hidden class per kind
// and the hot loop stays monomorphic. Never computes anything: parsers hand over finished values.
import type { HttpFields, LogLine } from './types.js';

/** ms or NaN (an impossible stamp) to LogLine's time */
export function timeOrNull(ms: number): number | null {
  return ms === ms ? ms : null; // NaN is the only value not equal to itself
}

/** A syslog or journal line: the five base fields only. */
export function baseLine(time: number | null, host: string | null, program: string, pid: number | null, message: string): LogLine {
  return { time, host, program, pid, message };
}

/** A web line (access or error): every web field present, undefined when the format lacks it. */
export function webLine(
  time: number | null,
  host: string | null,
  program: string,
  pid: number | null,
  message: string,
  vhost: string | undefined,
  client: string | undefined,
  http: HttpFields | undefined,
  level: string | undefined,
): LogLine {
  return { time, host, program, pid, message, vhost, client, http, level };
}
