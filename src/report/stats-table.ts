// The statistics table: counts summed into calendar periods, one column per kind present, in a fixed
// order (affairs, affairs by event kind, new offenders, bans, unbans, expiries, DNS classes). Pure.
import { isoTime, periodIndex, type Period, type Zone } from './periods.js';

export interface StatsTable {
  columns: string[];
  /** one row per period: the cells in `columns` order */
  rows: (string | number)[][];
}

export interface CountLike {
  t: number;
  key: string;
  n: number;
}

/** Column order: fixed columns first, then the event kinds and DNS classes present, alphabetically. */
function columnsOf(keys: Set<string>, withAddresses: boolean): string[] {
  const sorted = (prefix: string): string[] => [...keys].filter((k) => k.startsWith(prefix)).sort();
  const cols = ['from', 'to', 'affairs', ...sorted('affairs:')];
  if (withAddresses) cols.push('new_offenders', 'bans', 'unbans', 'expiries', ...sorted('dns:'));
  return cols;
}

/**
 * Sums `counts` into `periods`. withAddresses: include the columns that belong to addresses (not
 * vhosts); they are present even when zero, so a spreadsheet always finds them.
 */
export function statsTable(periods: readonly Period[], counts: readonly CountLike[], zone: Zone, withAddresses: boolean): StatsTable {
  const keys = new Set<string>();
  const sums = periods.map(() => new Map<string, number>());
  for (const c of counts) {
    const i = periodIndex(periods, c.t);
    if (i < 0 || c.n === 0) continue;
    keys.add(c.key);
    const m = sums[i]!;
    m.set(c.key, (m.get(c.key) ?? 0) + c.n);
  }
  const columns = columnsOf(keys, withAddresses);
  const rows = periods.map((p, i) => columns.map((col) => (col === 'from' ? isoTime(p.start, zone) : col === 'to' ? isoTime(p.end, zone) : (sums[i]!.get(col) ?? 0))));
  return { columns, rows };
}

/** RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF quoted and their quotes doubled. */
export function toCsv(table: StatsTable): string {
  const field = (v: string | number): string => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [table.columns, ...table.rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** A plain aligned table for a terminal; numbers right-aligned. */
export function toTextTable(table: StatsTable): string {
  const cells = [table.columns, ...table.rows].map((r) => r.map(String));
  const widths = table.columns.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  return (
    cells
      .map((r, ri) =>
        r.map((s, c) => (ri > 0 && typeof table.rows[ri - 1]![c] === 'number' ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd(),
      )
      .join('\n') + '\n'
  );
}
