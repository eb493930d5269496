// The report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no external
// asset (it opens from a mail or a file). Pure; every string from the model is escaped.
import { esc } from './escape.js';
import type { ReportModel } from './model.js';
import { dayLabel, hourLabel, sections, titleOf, when } from './render-common.js';
import { colorOf, horizontalBarChart, stackedBarChart } from './svg.js';

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666}table{border-collapse:collapse;margin:4px 0}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-style:italic}
svg.chart{display:block;margin:8px 0;max-width:100%;height:auto}.ctitle{font-size:14px;font-weight:600;fill:#222}
.axis{font-size:11px;fill:#555}.grid{stroke:#e3e3e3;stroke-width:1}.empty{font-size:14px;fill:#999}
`;

export function renderHtml(m: ReportModel): string {
  const title = titleOf(m);
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push(`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  out.push(`<title>${esc(title)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(title)}</h1><p class="meta">generated ${esc(when(m.generatedAt))}; top lists cover ${esc(when(m.window.from))} to ${esc(when(m.window.to))}</p>`);

  out.push('<h2>Charts</h2><div id="charts">');
  const a = m.charts.attacksPerHour;
  out.push(
    `<figure id="chart-attacks">${stackedBarChart({ title: 'Affairs per hour and module (last 48 h, UTC)', labels: a.starts.map(hourLabel), labelEvery: 6, series: a.series })}</figure>`,
  );
  const b = m.charts.bansPerDay;
  out.push(`<figure id="chart-bans">${stackedBarChart({ title: 'Bans per day (last 14 days, UTC)', labels: b.starts.map(dayLabel), labelEvery: 1, series: b.series })}</figure>`);
  const modules = [...new Set(m.charts.topSources.map((r) => r.module ?? ''))];
  out.push(
    `<figure id="chart-sources">${horizontalBarChart(
      'Top sources by affairs (last 7 days)',
      m.charts.topSources.map((r) => ({ label: `${r.label} (${r.module ?? '-'})`, value: r.count, color: colorOf(r.module ?? '', modules.indexOf(r.module ?? '')) })),
    )}</figure>`,
  );
  out.push('</div>');

  for (const s of sections(m)) {
    out.push(`<h2>${esc(s.title)}</h2>`);
    if (s.note) out.push(`<p class="note">${esc(s.note)}</p>`);
    if (s.rows.length === 0) continue;
    out.push('<table>');
    if (s.header.some((h) => h !== '')) out.push(`<thead><tr>${s.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`);
    out.push('<tbody>');
    for (const r of s.rows) out.push(`<tr>${r.map((c, i) => `<td${s.numeric.includes(i) ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`);
    out.push('</tbody></table>');
  }
  out.push('</body></html>');
  return out.join('\n') + '\n';
}
