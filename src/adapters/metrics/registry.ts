// Watcher's Prometheus metrics (prom-client). Everything but the apply histogram is collected at
// scrape time from what the tree already keeps (pipeline stats, actor snapshots, the dynloader
// board): nothing is added to the path of a log line. Reads snapshots only, never sends an event.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AnyActorRef } from 'xstate';
import type { FirewallBackend } from '../../../actors/fw/backend.js';
import type { PipelineStats } from '../../../actors/module/pipeline.js';
import { MODULE_NAMES } from '../../../actors/plan-sources.js';
import type { FwWriterContext } from '../../../machines/fw-writer.js';
import type { ModuleCounters } from '../../../machines/module.js';
import type { SupervisorContext } from '../../../machines/supervisor-types.js';
import type { DynloadRunBoard } from './dynload-board.js';
import { MetricsRecorder } from './recorder.js';
import { GrowingTotals, IncarnationTotals } from './totals.js';

/** What the collectors read: the running tree, through snapshots. */
export interface TreeView {
  /** the live actor registered under this system id (fw-writer, module:LG, ...) */
  actor(id: string): AnyActorRef | undefined;
  /** the supervisor's context (children with restart counts) */
  supervisor(): SupervisorContext | undefined;
  /** each module's pipeline counters (replaced by a new object when the pipeline restarts) */
  pipelines: ReadonlyMap<string, PipelineStats>;
}

/** Seconds: a live ban through a persistent ipset process takes well under a millisecond; a master load of a million entries, seconds. */
const APPLY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function contextOf<C>(ref: AnyActorRef | undefined): C | undefined {
  return ref ? (ref.getSnapshot() as { context?: C }).context : undefined;
}

/** Prometheus label values without spaces: "fetch failed" -> fetch_failed. */
function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, '_');
}

export class WatcherMetrics {
  readonly registry = new Registry();
  private readonly bansAdded: ReadonlyMap<string, number>;
  private processMetrics: 'off' | 'on' = 'off';

  /** Reads the totals `recorder` kept so far and from now on; apply durations are observed from now on. */
  constructor(private readonly recorder = new MetricsRecorder()) {
    this.bansAdded = recorder.bansAdded;
    const applySeconds = new Histogram({
      name: 'watcher_fw_apply_seconds',
      help: 'Time the firewall backend took per applied job: batch (live bans/unbans), replace (one dynloader set), plan (master load or repair), teardown',
      labelNames: ['kind'],
      buckets: APPLY_BUCKETS,
      registers: [this.registry],
    });
    recorder.durationSink = (kind, seconds) => applySeconds.observe({ kind }, seconds);
    const failures = recorder.applyFailures;
    new Counter({
      name: 'watcher_fw_apply_failures_total',
      help: 'Firewall backend jobs that failed (fw-writer retries them with backoff)',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [kind, n] of failures) this.inc({ kind }, n);
      },
    });
    const dynloads = this.dynloads;
    new Counter({
      name: 'watcher_dynload_runs_total',
      help: 'Finished dynloader runs by outcome (replaced, unchanged, not_modified, fetch_failed, rejected, store_failed, handover_failed)',
      labelNames: ['loader', 'outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [loader, byOutcome] of dynloads.runs) for (const [outcome, n] of byOutcome) this.inc({ loader, outcome: slug(outcome) }, n);
      },
    });
    new Gauge({
      name: 'watcher_dynload_entries',
      help: 'Entries of the list each dynloader has in force',
      labelNames: ['loader'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of dynloads.values()) if (s.entries !== null) this.set({ loader: s.name }, s.entries);
      },
    });
    new Gauge({
      name: 'watcher_dynload_last_success_timestamp_seconds',
      help: 'When each dynloader last fetched its list successfully (Unix time)',
      labelNames: ['loader'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of dynloads.values()) if (s.lastSuccessAt !== null) this.set({ loader: s.name }, s.lastSuccessAt / 1000);
      },
    });
  }

  /** the dynloaders' status board (the recorder's): give it to the tree as deps.dynloads */
  get dynloads(): DynloadRunBoard {
    return this.recorder.dynloads;
  }

  /** The backend fw-writer gets: the real one, timed (by the recorder). */
  timed(backend: FirewallBackend): FirewallBackend {
    return this.recorder.timed(backend);
  }

  /** Node's process metrics (CPU, memory, event loop lag, GC): started with the endpoint, never stopped. */
  enableProcessMetrics(): void {
    if (this.processMetrics === 'on') return;
    this.processMetrics = 'on';
    collectDefaultMetrics({ register: this.registry });
  }

  /** Registers the scrape-time collectors that read the running tree. */
  watch(view: TreeView): void {
    const reg = [this.registry];
    const lines = new IncarnationTotals<PipelineStats>((s) => s.lines);
    const matched = new IncarnationTotals<PipelineStats>((s) => s.matched);
    new Counter({
      name: 'watcher_lines_read_total',
      help: 'Log lines (or journal records) each module read from its sources and injections',
      labelNames: ['module'],
      registers: reg,
      collect() {
        this.reset();
        for (const m of MODULE_NAMES) {
          const n = lines.total(m, view.pipelines.get(m));
          if (n !== undefined) this.inc({ module: m }, n);
        }
      },
    });
    new Counter({
      name: 'watcher_lines_matched_total',
      help: 'Lines that matched a rule (or counted as a WB flood): the detections of each module',
      labelNames: ['module'],
      registers: reg,
      collect() {
        this.reset();
        for (const m of MODULE_NAMES) {
          const n = matched.total(m, view.pipelines.get(m));
          if (n !== undefined) this.inc({ module: m }, n);
        }
      },
    });
    const countersOf = (ref: AnyActorRef): ModuleCounters | undefined => contextOf<{ counters?: ModuleCounters }>(ref)?.counters;
    const affairs = new IncarnationTotals<AnyActorRef>((ref) => countersOf(ref)?.affairs ?? 0);
    new Counter({
      name: 'watcher_affairs_total',
      help: 'Affairs each module recorded (matched attempts handed to its database)',
      labelNames: ['module'],
      registers: reg,
      collect() {
        this.reset();
        for (const m of MODULE_NAMES) {
          const n = affairs.total(m, view.actor(`module:${m}`));
          if (n !== undefined) this.inc({ module: m }, n);
        }
      },
    });
    const bansAdded = this.bansAdded;
    new Counter({
      name: 'watcher_bans_total',
      help: "Bans each module put into the firewall (entries added to the module's set by live batches)",
      labelNames: ['module'],
      registers: reg,
      collect() {
        this.reset();
        for (const [source, n] of bansAdded) this.inc({ module: source.slice('mod:'.length) }, n);
      },
    });
    const writer = () => contextOf<FwWriterContext>(view.actor('fw-writer'));
    // read defensively: a scrape must never fail because the writer's context changed shape
    const queue = (): FwWriterContext['queue'] => {
      const q = writer()?.queue;
      return Array.isArray(q) ? q : [];
    };
    new Gauge({
      name: 'watcher_set_entries',
      help: 'Entries per firewall set (source) and family, as fw-writer last applied them (plan counts plus live adds minus removes)',
      labelNames: ['set', 'family'],
      registers: reg,
      collect() {
        this.reset();
        const expected = writer()?.expected;
        for (const e of Array.isArray(expected) ? expected : []) {
          this.set({ set: e.source, family: '4' }, e.count4);
          this.set({ set: e.source, family: '6' }, e.count6);
        }
      },
    });
    new Gauge({
      name: 'watcher_fw_queue_depth',
      help: "Jobs in fw-writer's queue, the one being applied included (bursts of bans coalesce into one job)",
      registers: reg,
      collect() {
        this.set(queue().length);
      },
    });
    new Gauge({
      name: 'watcher_fw_queue_entries',
      help: "Single-entry changes (bans, unbans) waiting in fw-writer's queue",
      registers: reg,
      collect() {
        let n = 0;
        for (const j of queue()) if (j.kind === 'entries') n += j.ops.length;
        this.set(n);
      },
    });
    const restarts = new GrowingTotals();
    new Counter({
      name: 'watcher_actor_restarts_total',
      help: 'Restarts the supervisor performed per actor (fw-writer, module:LG, dynloader:NAME, ...)',
      labelNames: ['actor'],
      registers: reg,
      collect() {
        this.reset();
        for (const [actor, st] of Object.entries(view.supervisor()?.children ?? {})) this.inc({ actor }, restarts.total(actor, st.restarts));
      },
    });
  }
}
