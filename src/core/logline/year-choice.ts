// Turns a year-less local stamp (RFC 3164) into ms since the epoch, choosing the year from the context.
// Never reads the clock: "now" is ctx.nowMs, and without it the year is ctx.year as given.
import { civilMs } from './civil-time.js';
import type { SyslogContext } from './context.js';

const DAY = 86_400_000;
/** Clock skew between hosts and syslog relays: a stamp this far ahead is still taken as this year. */
const FUTURE_SLACK = DAY;
/** A stamp this far behind now, with year + 1 not in the future, means the caller's year is stale. */
const STALE_AGE = 300 * DAY;

/**
 * ms since the epoch (UTC) of a local month/day/time, or NaN when impossible (Feb 31, Feb 29 in a
 * common year). `year` is the stamp's own year when it has one (0 when not).
 */
export function localStampMs(year: number, month: number, day: number, msOfDay: number, ctx: SyslogContext): number {
  const shift = (ctx.tzOffsetMinutes ?? 0) * 60_000;
  if (year !== 0) return civilMs(year, month, day, msOfDay) - shift;
  const now = ctx.nowMs;
  const t = civilMs(ctx.year, month, day, msOfDay) - shift;
  if (now === undefined) return t;
  if (t > now + FUTURE_SLACK) return civilMs(ctx.year - 1, month, day, msOfDay) - shift;
  if (t < now - STALE_AGE) {
    const next = civilMs(ctx.year + 1, month, day, msOfDay) - shift;
    if (next <= now + FUTURE_SLACK) return next;
  }
  return t;
}
