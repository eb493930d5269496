// The human form of the daemon's status (watcherctl status, watcher status): actor tree, firewall
// sets per source, modules and dynloaders. Pure formatting; prints to stdout.
import type { DaemonStatus } from '../../daemon/status.js';
import { pad, when } from './format.js';

/** A machine state for humans: "running", or "lifecycle:running work:idle" for parallel regions. */
export function state(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || typeof v !== 'object') return String(v);
  const entries = Object.entries(v as Record<string, unknown>);
  // a single compound state ({"active": {...}}) says nothing the regions inside do not
  if (entries.length === 1 && typeof entries[0]![1] === 'object') return state(entries[0]![1]);
  return entries.map(([k, sub]) => `${k}:${state(sub)}`).join(' ');
}

export function printStatusText(st: DaemonStatus): void {
  const out: string[] = [];
  out.push(`watcher is running (pid ${st.pid}, up ${st.uptimeSeconds} s, backend ${st.backend})`);
  out.push('actors:');
  for (const c of st.children) {
    const up = c.uptimeSeconds !== null ? `up ${c.uptimeSeconds} s` : 'not up';
    const inner = c.machineState !== undefined ? `  [${state(c.machineState)}]` : '';
    out.push(`  ${pad(c.id, 22)} ${pad(c.state, 11)} restarts ${c.restarts}, ${up}${inner}`);
    if (c.lastExit?.error) out.push(`  ${' '.repeat(22)} last exit ${when(c.lastExit.at)}: ${c.lastExit.error}`);
  }
  if (st.firewall) {
    const f = st.firewall;
    out.push(`firewall: ${state(f.state)}, ${f.queued} queued, ${f.applied} jobs applied`);
    for (const s of f.sets ?? []) out.push(`  ${pad(s.source, 22)} ${pad(s.verdict, 7)} ${s.v4} IPv4, ${s.v6} IPv6 entries`);
    if (f.lastError) out.push(`  last firewall error: ${f.lastError}`);
    for (const m of f.missing) out.push(`  missing: ${m.what} — ${m.fix}`);
  }
  if (st.expiry) out.push(expiryLine(st.expiry, Date.now()));
  if (st.lastReload) out.push(`last reload: ${when(st.lastReload.at)} ${st.lastReload.outcome}${st.lastReload.problems.length ? `: ${st.lastReload.problems.join('; ')}` : ''}`);
  if (st.modules.length > 0) out.push('modules:');
  for (const m of st.modules) {
    const db = m.db ? `${m.db.affairs} affairs, ${m.db.offenders} offenders, ${m.db.bans} bans in force` : 'no database yet';
    out.push(`  ${pad(m.module, 4)} ${pad(m.state, 11)} ${m.lines} lines read, ${m.matched} matched; ${db}`);
  }
  if ((st.dynloaders ?? []).length > 0) out.push('dynloaders:');
  for (const d of st.dynloaders ?? []) {
    out.push(
      `  ${pad(d.name, 20)} ${pad(d.state, 12)} entries ${d.entries ?? '-'}, last success ${when(d.lastSuccessAt, 'never')}` +
        (d.ageSeconds !== null ? ` (${d.ageSeconds} s ago)` : '') +
        `, next run ${when(d.nextRunAt)}` +
        (d.lastError ? `, last error: ${d.lastError}` : ''),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** One line about the expirer: its last run and the next one. */
export function expiryLine(e: NonNullable<DaemonStatus['expiry']>, now: number): string {
  const next = e.nextRunAt !== null ? `next in ${Math.max(0, Math.round((e.nextRunAt - now) / 1000))} s` : 'running now';
  const t = e.totals;
  const since = `${t.runs} runs: ${t.bansEnded} bans ended, ${t.affairsDeleted} affairs and ${t.offendersDeleted} offenders deleted, ${t.vacuums} rebuilds`;
  if (!e.lastRun) return `expiry: no run yet, ${next}`;
  const ago = Math.round((now - e.lastRun.finishedAt) / 1000);
  const missed = e.lastRun.unanswered.length > 0 ? ` (no answer from ${e.lastRun.unanswered.join(', ')})` : '';
  return `expiry: last run ${ago} s ago${missed}, ${next}; since start ${since}`;
}
