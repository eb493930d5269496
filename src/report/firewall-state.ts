// The firewall part of a report from the daemon's `status` answer, read tolerantly: fields that an
// older or newer daemon does not send are shown as unknown, never an error. Pure.
import type { DynloaderRow, FirewallState, SetRow } from './model.js';

type Rec = Record<string, unknown>;
const isRec = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : x === undefined || x === null ? null : JSON.stringify(x));
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * Entries per set: `sets` under `firewall` or at the top, as rows ({source|name|set, entries|count, or
 * v4 and v6, verdict}) or as an object name -> count.
 */
function setsOf(status: Rec): SetRow[] {
  const fw = isRec(status.firewall) ? status.firewall : {};
  const raw = fw.sets ?? status.sets;
  const rows: SetRow[] = [];
  if (Array.isArray(raw)) {
    for (const r of raw) {
      if (!isRec(r)) continue;
      const name = [r.source, r.name, r.set].find((v) => typeof v === 'string') as string | undefined;
      const v4 = num(r.v4);
      const v6 = num(r.v6);
      const entries = num(r.entries) ?? num(r.count) ?? num(r.size) ?? (v4 !== null || v6 !== null ? (v4 ?? 0) + (v6 ?? 0) : null);
      if (name === undefined || entries === null) continue;
      rows.push({ name: typeof r.family === 'number' ? `${name} (IPv${r.family})` : name, verdict: typeof r.verdict === 'string' ? r.verdict : null, v4, v6, entries });
    }
  } else if (isRec(raw)) {
    for (const [name, v] of Object.entries(raw)) {
      const entries = num(v) ?? (isRec(v) ? (num(v.entries) ?? num(v.count)) : null);
      if (entries !== null) rows.push({ name, verdict: null, v4: null, v6: null, entries });
    }
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/** Adds what a running daemon knows of its dynloaders (next run, last error) to the load pool rows. */
export function withDynloadStatus(rows: DynloaderRow[], status: unknown): DynloaderRow[] {
  const list = isRec(status) && Array.isArray(status.dynloaders) ? status.dynloaders.filter(isRec) : [];
  const out = rows.map((r) => ({ ...r }));
  for (const d of list) {
    const name = str(d.name);
    if (name === null) continue;
    let row = out.find((r) => r.name === name);
    if (!row) {
      // running but never stored a list
      row = { name, source: '(nothing stored yet)', fetchedAt: null, entries: null, nextRunAt: null, lastError: null };
      out.push(row);
    }
    row.nextRunAt = num(d.nextRunAt);
    row.lastError = typeof d.lastError === 'string' ? d.lastError : null;
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `status`: the daemon's answer, or null when it did not answer (`why` says so). */
export function firewallState(status: unknown, now: number, why: 'not running' | 'no answer' = 'not running'): FirewallState {
  if (!isRec(status)) {
    return {
      daemon: why,
      note: why === 'not running' ? 'the daemon is not running: firewall state unknown; what follows is read from files' : 'the daemon did not answer',
      backend: null,
      writerState: null,
      queued: null,
      lastError: null,
      sets: [],
      masterLoad: null,
      children: [],
    };
  }
  const fw = isRec(status.firewall) ? status.firewall : null;
  const children = (Array.isArray(status.children) ? status.children : []).filter(isRec).map((c) => ({
    id: str(c.id) ?? '?',
    state: str(c.state) ?? '?',
    restarts: num(c.restarts) ?? 0,
    uptimeSeconds: num(c.uptimeSeconds),
    exitedAt: isRec(c.lastExit) ? num(c.lastExit.at) : null,
  }));
  const ml = children.find((c) => c.id === 'master-load');
  const explicit = isRec(status.masterLoad) ? status.masterLoad : null;
  const masterLoad = explicit
    ? { at: num(explicit.at) ?? num(explicit.finishedAt) ?? num(explicit.startedAt), state: str(explicit.state) ?? str(explicit.outcome) ?? 'done' }
    : ml
      ? { at: ml.exitedAt ?? (ml.uptimeSeconds !== null ? now - ml.uptimeSeconds * 1000 : null), state: ml.state }
      : null;
  return {
    daemon: 'running',
    note: null,
    backend: str(status.backend),
    writerState: fw ? str(fw.state) : null,
    queued: fw ? num(fw.queued) : null,
    lastError: fw ? str(fw.lastError) : null,
    sets: setsOf(status),
    masterLoad,
    children: children.map(({ id, state, restarts }) => ({ id, state, restarts })),
  };
}
