// Builds the runnable dynloader of one configured list: the machine with its fetch, validation and
// load pool actors, the schedule (interval, jitter, Spamhaus one-hour floor) and its status for watcherctl.
import { fromPromise } from 'xstate';
import type { AddressMatcher } from '../../src/core/aggregate.js';
import type { DynloadFormat, DynloadKind } from '../../src/core/dynload-parse.js';
import type { Logger } from '../../src/log.js';
import { dynloaderMachine, type DynloaderContext, type DynloaderInput, type Fetched, type ReadyList } from '../../machines/dynloader.js';
import { fetchSource } from './fetch-source.js';
import { prepareList } from './prepare.js';
import { readPoolMetaSync, storePool } from './pool-store.js';

/** Spamhaus asks for downloads at least one hour apart; configured lower, the hour wins. */
export const SPAMHAUS_MIN_INTERVAL_MS = 3_600_000;
/** Two loaders never start within this of each other at boot. */
export const LOADER_SPACING_MS = 60_000;

export interface DynloaderSpec {
  name: string;
  kind: DynloadKind;
  url?: string | undefined;
  file?: string | undefined;
  command?: readonly string[] | undefined;
  format: DynloadFormat | 'auto';
  column: number;
  interval: number;
  min_prefix_v4: number;
  min_prefix_v6: number;
  max_entries: number;
  timeout: number;
  max_bytes: number;
}

/** What `watcherctl dynload status` shows for one loader. */
export interface DynloadStatus {
  name: string;
  state: string;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  entries: number | null;
  nextRunAt: number | null;
  lastError: string | null;
  outcome: string | null;
}

export interface DynloaderDeps {
  spec: DynloaderSpec;
  poolDir: string;
  /** the effective whitelist, read at each run (a reload may change it) */
  whitelist: () => Promise<AddressMatcher>;
  log: Logger;
  /** the status board shared with the control socket */
  board: Map<string, DynloadStatus>;
  /** position among the configured loaders: staggers the first runs */
  index: number;
  /** shared across loaders (p-limit): bounds how many download at once */
  limit?: <T>(fn: () => Promise<T>) => Promise<T>;
  now?: () => number;
  random?: () => number;
  handoverPatienceMs?: number;
}

/** The effective interval: Spamhaus lists never below one hour, said once in the log. */
export function effectiveInterval(spec: DynloaderSpec, log: Logger): number {
  if (spec.kind.startsWith('spamhaus') && spec.interval < SPAMHAUS_MIN_INTERVAL_MS) {
    log.warn(`dynloader ${spec.name}: interval ${Math.round(spec.interval / 1000)} s raised to 1 h: Spamhaus asks for downloads at least an hour apart`);
    return SPAMHAUS_MIN_INTERVAL_MS;
  }
  return spec.interval;
}

/** How the pool header names the source of a loader. */
export function sourceText(spec: DynloaderSpec): string {
  return spec.url ?? spec.file ?? (spec.command ? spec.command.join(' ') : '?');
}

/** Reads the pool header (the list in force) and returns the machine input. */
export function dynloaderInput(deps: DynloaderDeps): DynloaderInput {
  const { spec } = deps;
  const now = deps.now ?? Date.now;
  const intervalMs = effectiveInterval(spec, deps.log);
  const stored = readPoolMetaSync(deps.poolDir, spec.name);
  // a pool file from another source (the URL was edited) says nothing about this one: fetch at once
  const meta = stored !== null && stored.source === sourceText(spec) ? stored : null;
  const fetchedAt = meta ? Date.parse(meta.fetchedAt) : NaN;
  // a list fetched recently is not fetched again at boot: wait out the rest of its interval
  const due = Number.isFinite(fetchedAt) ? Math.max(0, fetchedAt + intervalMs - now()) : 0;
  return {
    name: spec.name,
    checksum: stored?.checksum ?? null,
    etag: meta?.etag ?? null,
    lastModified: meta?.lastModified ?? null,
    lastSuccessAt: Number.isFinite(fetchedAt) ? fetchedAt : null,
    intervalMs,
    minSpacingMs: spec.kind.startsWith('spamhaus') ? SPAMHAUS_MIN_INTERVAL_MS : 0,
    firstDelayMs: Math.max(due, deps.index * LOADER_SPACING_MS),
    handoverPatienceMs: deps.handoverPatienceMs ?? 120_000,
  };
}

export function dynloaderLogic(deps: DynloaderDeps) {
  const { spec, log, board } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const source = sourceText(spec);
  let fetchedAtIso = new Date(0).toISOString();
  return dynloaderMachine.provide({
    actors: {
      fetch: fromPromise<Fetched, { etag: string | null; lastModified: string | null }>(async ({ input }) => {
        const at = now();
        fetchedAtIso = new Date(at).toISOString();
        const run = deps.limit ?? ((fn) => fn());
        const r = await run(() => fetchSource(
          { url: spec.url, file: spec.file, command: spec.command, timeoutMs: spec.timeout, maxBytes: spec.max_bytes },
          { etag: input.etag ?? undefined, lastModified: input.lastModified ?? undefined },
        ));
        if (r.kind === 'not-modified') return { kind: 'not-modified', at };
        return { kind: 'body', text: r.text, at, ...(r.etag ? { etag: r.etag } : {}), ...(r.lastModified ? { lastModified: r.lastModified } : {}) };
      }),
      validate: fromPromise<ReadyList, { text: string }>(async ({ input }) => {
        const p = prepareList(input.text, { kind: spec.kind, format: spec.format, column: spec.column, minPrefixV4: spec.min_prefix_v4, minPrefixV6: spec.min_prefix_v6, maxEntries: spec.max_entries }, await deps.whitelist());
        return { entries: p.entries, checksum: p.checksum, count: p.count, notes: p.notes, body: p.body };
      }),
      store: fromPromise<void, { ready: ReadyList; fetched: Extract<Fetched, { kind: 'body' }> }>(async ({ input }) => {
                await storePool(deps.poolDir, spec.name, {
          source,
          fetchedAt: fetchedAtIso,
          entries: input.ready.count,
          checksum: input.ready.checksum,
          ...(input.fetched.etag ? { etag: input.fetched.etag } : {}),
          ...(input.fetched.lastModified ? { lastModified: input.fetched.lastModified } : {}),
        }, input.ready.body);
      }),
    },
    delays: {
      // jitter up to a tenth of the interval (at most 5 min) so a fleet of hosts does not hit a provider in step
      nextRun: ({ context }) => {
        const base = context.firstRun ? context.firstDelayMs : context.intervalMs + Math.floor(random() * Math.min(context.intervalMs / 10, 300_000));
        const entry = board.get(spec.name);
        if (entry) entry.nextRunAt = now() + base;
        else board.set(spec.name, { ...EMPTY_STATUS, name: spec.name, nextRunAt: now() + base });
        return base;
      },
    },
    actions: {
      report: (_, p) => log.log(p.level, p.message),
      publish: (_, p) => board.set(spec.name, statusOf(p.context, board.get(spec.name)?.nextRunAt ?? null)),
    },
  });
}

const EMPTY_STATUS: DynloadStatus = { name: '', state: 'idle', lastAttemptAt: null, lastSuccessAt: null, entries: null, nextRunAt: null, lastError: null, outcome: null };

function statusOf(c: DynloaderContext, nextRunAt: number | null): DynloadStatus {
  return {
    name: c.name,
    state: 'idle',
    lastAttemptAt: c.lastAttemptAt,
    lastSuccessAt: c.lastSuccessAt,
    entries: c.count,
    nextRunAt,
    lastError: c.lastError,
    outcome: c.outcome,
  };
}
