// Runs one dynloader against a fake fw-writer (records every set.replace, answers fw.applied or
// fw.failed) and a temporary load pool, for tests that drive it with `dynload.now`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { createActor, fromCallback, setup, waitFor, type AnyActorRef } from 'xstate';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { PlannedSet } from '../../src/core/fw-plan.js';
import { parseIp } from '../../src/core/ip.js';
import type { FwWriterEvent } from '../../src/core/events.js';
import { dynloaderInput, dynloaderLogic, type DynloaderSpec, type DynloadStatus } from '../../actors/dynload/dynloader.js';
import type { Logger } from '../../src/log.js';

export interface LoaderHarness {
  /** triggers one run and resolves when the loader is idle again */
  runOnce: () => Promise<void>;
  replaces: PlannedSet[];
  logs: string[];
  pool: () => string;
  status: () => DynloadStatus | undefined;
  context: () => { lastError: string | null; outcome: string | null; count: number | null; checksum: string | null };
  fwFails: { next: boolean };
  dl: AnyActorRef;
}

export function specOf(name: string, over: Partial<DynloaderSpec>): DynloaderSpec {
  return {
    name,
    kind: 'list',
    format: 'auto',
    column: 1,
    interval: 3_600_000,
    min_prefix_v4: 8,
    min_prefix_v6: 19,
    max_entries: 100_000,
    timeout: 2_000,
    max_bytes: 1_000_000,
    ...over,
  };
}

export async function startLoader(t: ExecutionContext, spec: DynloaderSpec, whitelist: string[] = []): Promise<LoaderHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'watcher-dl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logs: string[] = [];
  const log = { log: (level: string, m: string) => logs.push(`${level}: ${m}`), warn: (m: string) => logs.push(`warn: ${m}`), info: (m: string) => logs.push(`info: ${m}`) } as unknown as Logger;
  const replaces: PlannedSet[] = [];
  const fwFails = { next: false };
  const board = new Map<string, DynloadStatus>();
  const wl = AddressMatcher.fromEntries(aggregate(whitelist.map((s) => {
    const r = parseIp(s);
    if (!r.ok) throw new Error(r.error);
    return r.ip;
  })));
  const deps = { spec, poolDir: dir, whitelist: async () => wl, log, board, index: 0, handoverPatienceMs: 5_000 };
  const input = { ...dynloaderInput(deps), firstDelayMs: 3_600_000, minSpacingMs: 0 };
  const fakeFw = fromCallback<FwWriterEvent>(({ receive }) => {
    receive((e) => {
      if (e.type !== 'set.replace') return;
      if (fwFails.next) {
        fwFails.next = false;
        e.replyTo?.send({ type: 'fw.failed', opId: e.opId, error: 'injected failure' });
        return;
      }
      replaces.push(e.set);
      e.replyTo?.send({ type: 'fw.applied', opId: e.opId });
    });
  });
  const root = setup({ actors: { fw: fakeFw, dl: dynloaderLogic(deps) } }).createMachine({
    invoke: [
      { src: 'fw', systemId: 'fw-writer' },
      { src: 'dl', systemId: 'dl', input },
    ],
  });
  const actor = createActor(root).start();
  t.teardown(() => actor.stop());
  const dl = actor.system.get('dl') as AnyActorRef;
  return {
    dl,
    replaces,
    logs,
    fwFails,
    pool: () => readFileSync(path.join(dir, `${spec.name}.list`), 'utf8'),
    status: () => board.get(spec.name),
    context: () => dl.getSnapshot().context,
    runOnce: async () => {
      const before = dl.getSnapshot().context.runs as number;
      dl.send({ type: 'dynload.now', at: Date.now() });
      await waitFor(dl, (s) => s.value === 'idle' && s.context.runs > before, { timeout: 10_000 });
    },
  };
}
