// What `watcher status` / `watcherctl status` show: the actor tree with each child's state, uptime
// and restarts; the firewall writer's queue, sets and entry counts per source (its snapshot, read
// only); each module's pipeline counters and database (read-only connection); each dynloader's board.
import type { AnyActorRef } from 'xstate';
import type { SupervisorContext } from '../../machines/supervisor-types.js';
import type { FwWriterContext } from '../../machines/fw-writer.js';
import type { PipelineStats } from '../../actors/module/pipeline.js';
import type { ExpirerContext, ExpiryRun, ExpiryTotals } from '../../machines/expirer.js';
import type { DynloadStatus } from '../../actors/dynload/dynloader.js';
import { moduleDbPath } from '../../actors/module/runtime.js';
import { MODULE_NAMES } from '../../actors/plan-sources.js';
import { ModuleReader } from '../adapters/db/module-reader.js';
import type { WatcherConfig } from '../config/schema.js';

export interface ChildView {
  id: string;
  state: string;
  restarts: number;
  uptimeSeconds: number | null;
  /** the child's own machine state (module: running, fw-writer: {lifecycle, work}, ...) */
  machineState?: unknown;
  lastExit: { kind: string; at: number; error?: string } | null;
}

export interface ModuleView {
  module: string;
  /** supervisor state of module:<M>, or 'not running' */
  state: string;
  lines: number;
  matched: number;
  sources: string[];
  counters: unknown;
  /** from its database: stored affairs, offender rows, bans in force; null when it has none yet */
  db: { affairs: number; offenders: number; bans: number } | null;
}

export interface DaemonStatus {
  pid: number;
  uptimeSeconds: number;
  backend: string;
  supervisor: string;
  children: ChildView[];
  firewall: {
    state: unknown;
    queued: number;
    applied: number;
    lastError: string | null;
    missing: { what: string; fix: string }[];
    /** what fw-writer applied, per source: verdict and entries (IPv4, IPv6) */
    sets: { source: string; verdict: string; v4: number; v6: number }[];
  } | null;
  lastReload: SupervisorContext['lastReload'];
  modules: ModuleView[];
  dynloaders: (DynloadStatus & { ageSeconds: number | null })[];
  /** the expirer's last run, totals since start and next scheduled run; null when it is not running */
  expiry: { state: unknown; lastRun: ExpiryRun | null; totals: ExpiryTotals; nextRunAt: number | null } | null;
}

export interface StatusInputs {
  root: AnyActorRef;
  backend: string;
  startedAt: number;
  config: WatcherConfig;
  pipelines: Map<string, PipelineStats>;
  dynloads: Map<string, DynloadStatus> | undefined;
}

function dbSummary(config: WatcherConfig, module: (typeof MODULE_NAMES)[number], now: number): ModuleView['db'] {
  try {
    const r = ModuleReader.open(moduleDbPath(config, module));
    if (!r) return null;
    try {
      return r.summary(now);
    } finally {
      r.close();
    }
  } catch {
    return null; // a database being created right now: its numbers come with the next status
  }
}

export function statusOf(s: StatusInputs): DaemonStatus {
  const now = Date.now();
  const { root } = s;
  const snap = root.getSnapshot() as { value: unknown; context: SupervisorContext; children: Record<string, AnyActorRef | undefined> };
  const children = snap.context.specs.map((spec): ChildView => {
    const st = snap.context.children[spec.id];
    const ref = snap.children[spec.id];
    return {
      id: spec.id,
      state: st?.state ?? 'unknown',
      restarts: st?.restarts ?? 0,
      uptimeSeconds: st?.startedAt != null && st.state === 'running' ? Math.round((now - st.startedAt) / 1000) : null,
      ...(ref ? { machineState: (ref.getSnapshot() as { value?: unknown }).value } : {}),
      lastExit: st?.lastExit ?? null,
    };
  });
  const writer = snap.children['fw-writer'];
  const wctx = writer ? ((writer.getSnapshot() as { context?: FwWriterContext }).context ?? null) : null;
  const modules = MODULE_NAMES.filter((m) => s.config.modules[m].enabled || s.pipelines.has(m)).map((module): ModuleView => {
    const p = s.pipelines.get(module);
    const ref = snap.children[`module:${module}`];
    const ctx = ref ? (ref.getSnapshot() as { context?: { counters?: unknown } }).context : undefined;
    return {
      module,
      state: snap.context.children[`module:${module}`]?.state ?? 'not running',
      lines: p?.lines ?? 0,
      matched: p?.matched ?? 0,
      sources: p?.sources ?? [],
      counters: ctx?.counters ?? null,
      db: dbSummary(s.config, module, now),
    };
  });
  return {
    pid: process.pid,
    uptimeSeconds: Math.round((now - s.startedAt) / 1000),
    backend: s.backend,
    supervisor: JSON.stringify(snap.value),
    children,
    firewall:
      writer && wctx
        ? {
            state: (writer.getSnapshot() as { value?: unknown }).value,
            queued: wctx.queue.length,
            applied: wctx.applied,
            lastError: wctx.lastError,
            missing: wctx.missing,
            sets: wctx.expected.map((e) => ({ source: e.source, verdict: e.verdict, v4: e.count4, v6: e.count6 })),
          }
        : null,
    lastReload: snap.context.lastReload,
    expiry: expiryOf(snap.children['expirer']),
    modules,
    dynloaders: [...(s.dynloads?.values() ?? [])].map((d) => ({
      ...d,
      state: String((root.system.get(`dynloader:${d.name}`) as AnyActorRef | undefined)?.getSnapshot().value ?? 'not running'),
      ageSeconds: d.lastSuccessAt !== null ? Math.round((now - d.lastSuccessAt) / 1000) : null,
    })),
  };
}

function expiryOf(ref: AnyActorRef | undefined): DaemonStatus['expiry'] {
  const snap = ref?.getSnapshot() as { value?: unknown; context?: ExpirerContext } | undefined;
  const c = snap?.context;
  if (!c) return null;
  return { state: snap.value, lastRun: c.last, totals: c.totals, nextRunAt: c.nextRunAt };
}
