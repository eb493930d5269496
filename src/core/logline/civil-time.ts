// Calendar arithmetic for header stamps: civil date and time of day to ms since the epoch, month names.
// Pure integer arithmetic, no Date objects and no clock: impossible dates (Feb 31) give NaN, never roll over.

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** days in month m (1-12) of year y */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * ms since the epoch of a civil date plus ms into that day, read as UTC; NaN when the date does
 * not exist (month 13, Feb 29 of a common year) or msOfDay is NaN (the caller's invalid clock time).
 */
export function civilMs(y: number, m: number, d: number, msOfDay: number): number {
  // range checks first: they make the cache key unique (no day 40 aliasing the next month)
  if (!(m >= 1 && m <= 12 && d >= 1 && d <= 31)) return NaN;
  const key = (y * 16 + m) * 32 + d;
  if (key !== cachedKey) {
    if (d > daysInMonth(y, m)) return NaN;
    cachedDays = daysFromCivil(y, m, d);
    cachedKey = key;
  }
  return cachedDays * 86_400_000 + msOfDay;
}

// One-entry memo of civilMs: consecutive log lines nearly always share their date. Pure: same
// inputs, same output; it only skips recomputing days_from_civil.
let cachedKey = -1;
let cachedDays = 0;

/**
 * ms into the day of a clock time, NaN when out of range. Second 60 is accepted (leap seconds are
 * logged as :60) and lands on the next minute: one second of error beats dropping the line's time.
 */
export function clockMs(h: number, mi: number, s: number, ms: number): number {
  if (!(h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60)) return NaN;
  return ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

/** Month 1-12 of the English three-letter abbreviation at i (any case), 0 when there is none. */
export function monthAt(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  const c = s.charCodeAt(i + 2);
  // ASCII only: | 0x20 folds case, and the guard keeps wide chars from aliasing into the key
  if (!(a < 128 && b < 128 && c < 128)) return 0;
  switch (((a | 0x20) << 16) | ((b | 0x20) << 8) | (c | 0x20)) {
    case 0x6a616e: return 1; // jan
    case 0x666562: return 2; // feb
    case 0x6d6172: return 3; // mar
    case 0x617072: return 4; // apr
    case 0x6d6179: return 5; // may
    case 0x6a756e: return 6; // jun
    case 0x6a756c: return 7; // jul
    case 0x617567: return 8; // aug
    case 0x736570: return 9; // sep
    case 0x6f6374: return 10; // oct
    case 0x6e6f76: return 11; // nov
    case 0x646563: return 12; // dec
    default: return 0;
  }
}
