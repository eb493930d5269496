// What `watcher status` / `watcherctl status` show: the actor tree with each child's state, uptime
// and restarts, and the firewall writer's queue and last error. Reads snapshots only.
import type { AnyActorRef } from 'xstate';
import type { SupervisorContext } from '../../machines/supervisor-types.js';
import type { FwWriterContext } from '../../machines/fw-writer.js';
import type { PipelineStats } from '../../actors/module/pipeline.js';
import type { ExpirerContext, ExpiryRun, ExpiryTotals } from '../../machines/expirer.js';

export interface DaemonStatus {
  pid: number;
  uptimeSeconds: number;
  backend: string;
  supervisor: string;
  children: { id: string; state: string; restarts: number; uptimeSeconds: number | null; machineState?: unknown }[];
  firewall: { state: unknown; queued: number; applied: number; lastError: string | null; missing: { what: string; fix: string }[] } | null;
  lastReload: SupervisorContext['lastReload'];
  modules: { module: string; lines: number; matched: number; sources: string[]; counters: unknown }[];
  /** the expirer's last run, totals since start and next scheduled run; null when it is not running */
  expiry: { state: unknown; lastRun: ExpiryRun | null; totals: ExpiryTotals; nextRunAt: number | null } | null;
}

export function statusOf(root: AnyActorRef, backend: string, startedAt: number, pipelines: Map<string, PipelineStats> = new Map()): DaemonStatus {
  const now = Date.now();
  const snap = root.getSnapshot() as { value: unknown; context: SupervisorContext; children: Record<string, AnyActorRef | undefined> };
  const children = snap.context.specs.map((spec) => {
    const st = snap.context.children[spec.id];
    const ref = snap.children[spec.id];
    return {
      id: spec.id,
      state: st?.state ?? 'unknown',
      restarts: st?.restarts ?? 0,
      uptimeSeconds: st?.startedAt != null ? Math.round((now - st.startedAt) / 1000) : null,
      ...(ref ? { machineState: (ref.getSnapshot() as { value?: unknown }).value } : {}),
    };
  });
  const writer = snap.children['fw-writer'];
  const wctx = writer ? ((writer.getSnapshot() as { context?: FwWriterContext }).context ?? null) : null;
  return {
    pid: process.pid,
    uptimeSeconds: Math.round((now - startedAt) / 1000),
    backend,
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
          }
        : null,
    lastReload: snap.context.lastReload,
    expiry: expiryOf(snap.children['expirer']),
    modules: [...pipelines].map(([module, p]) => {
      const ref = snap.children[`module:${module}`];
      const ctx = ref ? (ref.getSnapshot() as { context?: { counters?: unknown } }).context : undefined;
      return { module, lines: p.lines, matched: p.matched, sources: p.sources, counters: ctx?.counters ?? null };
    }),
  };
}

function expiryOf(ref: AnyActorRef | undefined): DaemonStatus['expiry'] {
  const snap = ref?.getSnapshot() as { value?: unknown; context?: ExpirerContext } | undefined;
  const c = snap?.context;
  if (!c) return null;
  return { state: snap.value, lastRun: c.last, totals: c.totals, nextRunAt: c.nextRunAt };
}
