// Calendar periods for statistics (hour, day, month) in UTC or the host's local time zone, and the
// command-line date forms. Pure: no clock reads (the caller passes "now"); Date is used for calendar math only.

export type PeriodUnit = 'hour' | 'day' | 'month';
export type Zone = 'utc' | 'local';

export interface Period {
  start: number;
  end: number;
}

/** The start of the period of `unit` that contains `t`. */
export function periodStart(t: number, unit: PeriodUnit, zone: Zone): number {
  const d = new Date(t);
  if (zone === 'utc') {
    if (unit === 'hour') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    if (unit === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  if (unit === 'hour') return new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()).getTime();
  if (unit === 'day') return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return new Date(d.getFullYear(), d.getMonth(), 1).getTime();
}

/** The start of the period after the one starting at `start` (DST days are 23 or 25 hours long in local time). */
export function nextPeriod(start: number, unit: PeriodUnit, zone: Zone): number {
  if (unit === 'hour') return start + 3_600_000;
  const d = new Date(start);
  if (zone === 'utc') {
    return unit === 'day'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return unit === 'day'
    ? new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime()
    : new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

/** The periods covering [from, to): the first starts at or before `from`, the last ends at or after `to`. */
export function periodsBetween(from: number, to: number, unit: PeriodUnit, zone: Zone, max = 100_000): Period[] {
  const out: Period[] = [];
  for (let s = periodStart(from, unit, zone); s < to && out.length < max; ) {
    const e = nextPeriod(s, unit, zone);
    out.push({ start: s, end: e });
    s = e;
  }
  return out;
}

/** Index of the period holding `t` (periods sorted, contiguous); -1 outside. */
export function periodIndex(periods: readonly Period[], t: number): number {
  let lo = 0;
  let hi = periods.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = periods[mid]!;
    if (t < p.start) hi = mid - 1;
    else if (t >= p.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ISO 8601 with seconds: "2026-11-22T06:00:00Z" in UTC, "2026-11-22T07:00:00+01:00" in local time. */
export function isoTime(t: number, zone: Zone): string {
  const d = new Date(t);
  if (zone === 'utc') return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
  );
}

export type DateArg = { ok: true; t: number; dateOnly: boolean } | { ok: false; message: string };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A command-line date: YYYY-MM-DD (the start of that day in `zone`) or an ISO 8601 timestamp
 * (without an offset: in `zone`). Anything else, or a day that does not exist, is an error.
 */
export function parseDateArg(text: string, zone: Zone): DateArg {
  const bad = { ok: false as const, message: `"${text}" is not a date (YYYY-MM-DD) or an ISO 8601 timestamp (YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])` };
  const d = DATE_ONLY.exec(text);
  const m = d ?? TIMESTAMP.exec(text);
  if (!m) return bad;
  const [y, mo, da, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0') as string[];
  const parts = [Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(s)] as const;
  const offset = d ? undefined : m[7];
  let t: number;
  if (offset !== undefined) {
    const o = /^([+-])(\d{2}):?(\d{2})$/.exec(offset);
    const minutes = o ? (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) : 0;
    t = Date.UTC(...parts) - minutes * 60_000;
  } else t = zone === 'utc' ? Date.UTC(...parts) : new Date(...parts).getTime();
  // Date rolls 2026-02-30 over to March: refuse days and times that do not exist
  const back = new Date(offset !== undefined || zone === 'utc' ? Date.UTC(...parts) : t);
  const fields = offset !== undefined || zone === 'utc'
    ? [back.getUTCFullYear(), back.getUTCMonth(), back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes()]
    : [back.getFullYear(), back.getMonth(), back.getDate(), back.getHours(), back.getMinutes()];
  if (!Number.isFinite(t) || fields.some((f, i) => f !== parts[i])) return bad;
  return { ok: true, t, dateOnly: d !== null };
}
