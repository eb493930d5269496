// The report as plain text (terminal, mail body): the same sections as the HTML page, charts as short
// per-period lines. Pure; control characters in log-derived strings are replaced.
import type { ReportModel } from './model.js';
import { plain } from './escape.js';
import { dayLabel, sections, titleOf, when } from './render-common.js';

function table(header: string[], rows: string[][], numeric: number[]): string[] {
  const all = header.length > 0 && header.some((h) => h !== '') ? [header, ...rows] : rows;
  const widths = (all[0] ?? []).map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all.map((r) => '  ' + r.map((s, c) => (numeric.includes(c) ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd());
}

export function renderText(m: ReportModel): string {
  const lines: string[] = [titleOf(m), `generated ${when(m.generatedAt)}`, ''];
  for (const s of sections(m)) {
    lines.push(s.title);
    if (s.note) lines.push(`  ${s.note}`);
    if (s.rows.length > 0) lines.push(...table(s.header, s.rows, s.numeric));
    lines.push('');
  }
  const a = m.charts.attacksPerHour;
  const total = (i: number) => a.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0);
  const last24 = a.starts.slice(-24).reduce((sum, _, i) => sum + total(a.starts.length - 24 + i), 0);
  lines.push(`Affairs in the last 24 hours: ${last24}`);
  const b = m.charts.bansPerDay;
  lines.push('Bans per day (UTC):');
  lines.push('  ' + b.starts.map((t, i) => `${dayLabel(t)} ${b.series.reduce((s, x) => s + (x.values[i] ?? 0), 0)}`).join(', '));
  lines.push('');
  return lines.map(plain).join('\n') + '\n';
}
