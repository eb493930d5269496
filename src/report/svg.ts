// Inline SVG charts for the HTML report: stacked vertical bars (per hour, per day) and horizontal bars
// (top sources). Pure string building; every label is escaped. Bars are <rect class="bar"> with
// data-value, so tests (and curious admins) can read the numbers back from the DOM.
import { esc } from './escape.js';
import type { Series } from './model.js';

const PALETTE: Record<string, string> = { LG: '#1f6fb4', MX: '#e07b10', MB: '#2b9a3a', WB: '#c62828' };
const FALLBACK = ['#6a3d9a', '#8c564b', '#17becf', '#7f7f7f'];
export const colorOf = (name: string, i: number): string => PALETTE[name] ?? FALLBACK[i % FALLBACK.length]!;

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export interface StackedBars {
  title: string;
  /** one label per column; only every `labelEvery`-th is drawn */
  labels: string[];
  labelEvery: number;
  series: Series[];
  width?: number;
  height?: number;
}

export function stackedBarChart(c: StackedBars): string {
  const W = c.width ?? 960;
  const H = c.height ?? 260;
  const left = 48;
  const bottom = 40;
  const top = 28;
  const plotW = W - left - 12;
  const plotH = H - top - bottom;
  const n = c.labels.length;
  const totals = c.labels.map((_, i) => c.series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const step = n > 0 ? plotW / n : plotW;
  const bw = Math.max(1, step * 0.8);
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<title>${esc(c.title)}</title>`);
  parts.push(`<text x="${left}" y="18" class="ctitle">${esc(c.title)}</text>`);
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    parts.push(`<line x1="${left}" x2="${W - 12}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="axis">${esc(Number.isInteger(v) ? v : v.toFixed(1))}</text>`);
  }
  for (let i = 0; i < n; i++) {
    let base = 0;
    const x = left + i * step + (step - bw) / 2;
    c.series.forEach((s, si) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return;
      const y1 = y(base + v);
      const h = Math.max(1, y(base) - y1);
      parts.push(
        `<rect class="bar" data-series="${esc(s.name)}" data-value="${v}" x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${colorOf(s.name, si)}"><title>${esc(`${c.labels[i]} ${s.name}: ${v}`)}</title></rect>`,
      );
      base += v;
    });
    if (i % c.labelEvery === 0) {
      parts.push(`<text x="${(left + i * step + step / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle" class="axis">${esc(c.labels[i]!)}</text>`);
    }
  }
  if (totals.every((t) => t === 0)) parts.push(`<text x="${W / 2}" y="${top + plotH / 2}" text-anchor="middle" class="empty">no data</text>`);
  // legend
  c.series.forEach((s, si) => {
    const lx = left + si * 90;
    parts.push(`<rect x="${lx}" y="${H - 14}" width="10" height="10" fill="${colorOf(s.name, si)}"/><text x="${lx + 14}" y="${H - 5}" class="axis">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface HBar {
  label: string;
  value: number;
  color?: string;
}

export function horizontalBarChart(title: string, rows: HBar[], width = 960): string {
  const rowH = 22;
  const top = 28;
  const left = 260;
  const H = top + Math.max(1, rows.length) * rowH + 8;
  const plotW = width - left - 60;
  const max = niceMax(Math.max(0, ...rows.map((r) => r.value)));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}">`);
  parts.push(`<title>${esc(title)}</title><text x="8" y="18" class="ctitle">${esc(title)}</text>`);
  rows.forEach((r, i) => {
    const yy = top + i * rowH;
    const w = r.value > 0 ? Math.max(1, (r.value / max) * plotW) : 0;
    parts.push(`<text x="${left - 8}" y="${yy + 15}" text-anchor="end" class="axis">${esc(r.label)}</text>`);
    if (w > 0) {
      parts.push(
        `<rect class="bar" data-value="${r.value}" x="${left}" y="${yy + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${r.color ?? '#1f6fb4'}"><title>${esc(`${r.label}: ${r.value}`)}</title></rect>`,
      );
    }
    parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${yy + 15}" class="axis">${r.value}</text>`);
  });
  if (rows.length === 0) parts.push(`<text x="${width / 2}" y="${top + 15}" text-anchor="middle" class="empty">no data</text>`);
  parts.push('</svg>');
  return parts.join('');
}
