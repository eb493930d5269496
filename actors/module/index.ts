// Builds the runnable module actor: the module machine with its runtime, pipeline and the side
// effects of recording affairs, DNS re-evaluation and ban bookkeeping. Bans go to fw-writer only.
import { fromPromise, type AnyActorRef } from 'xstate';
import { moduleMachine, type ModuleContext, type ModuleEvent } from '../../machines/module.js';
import { banOp, type BanRow } from '../../src/adapters/db/ban-row.js';
import type { ModuleName } from '../../src/core/logline/types.js';
import type { AddressMatcher } from '../../src/core/ip-matcher.js';
import type { ConfigHolder } from '../../src/daemon/children.js';
import type { Logger } from '../../src/log.js';
import { openRuntime, refreshRuntime, type ModuleRuntime } from './runtime.js';
import { pipelineLogic, type PipelineStats, type SharedReaders } from './pipeline.js';
import { expirySettings, runExpiry } from './expiry.js';

export interface ModuleDeps {
  module: ModuleName;
  holder: ConfigHolder;
  readers: SharedReaders;
  whitelist: () => Promise<AddressMatcher>;
  log: Logger;
  /** where the pipeline publishes its counters (read by status) */
  stats: (s: PipelineStats) => void;
}

type Args = { context: ModuleContext<ModuleRuntime>; event: ModuleEvent; self: AnyActorRef; system: { get(id: string): AnyActorRef | undefined } };

let ops = 0;

/** Pending bans go to fw-writer as one request; the reply marks them active. */
function requestBans(rt: ModuleRuntime, bans: readonly BanRow[], self: AnyActorRef, fw: AnyActorRef | undefined): void {
  if (bans.length === 0) return;
  for (const b of bans) rt.log.info(`ban ${b.entry} ${b.until === null ? 'permanently' : `until ${new Date(b.until).toISOString()}`}: ${b.reason}`);
  if (!fw) {
    rt.log.warn(`fw-writer is not running: ${bans.length} bans stay pending and are applied by the next master load`);
    return;
  }
  const opId = `${rt.module}:ban:${++ops}`;
  rt.inFlight.set(opId, bans.map((b) => b.id));
  fw.send({ type: 'ban.requested', opId, replyTo: self, ops: bans.map((b) => banOp(rt.module, b, 'add')) });
}

/** Starts DNS lookups for addresses whose class is not known; answers come back as events. */
function classify(rt: ModuleRuntime, ips: Iterable<string>, self: AnyActorRef): void {
  if (!rt.dns) return;
  for (const ip of new Set(ips)) {
    if (rt.dns.peek(ip) !== undefined) continue;
    void rt.dns.classify(ip).then((cls) => {
      rt.log.debug(`dns: ${ip} is ${cls}`);
      if (cls !== 'unknown') self.send({ type: 'dns.classified', ip, cls });
    });
  }
}

export function moduleLogic(deps: ModuleDeps) {
  return moduleMachine<ModuleRuntime>().provide({
    actors: {
      open: fromPromise<ModuleRuntime, { module: string }>(() =>
        openRuntime({ module: deps.module, config: deps.holder.current, whitelist: deps.whitelist, log: deps.log }),
      ),
      pipeline: pipelineLogic(deps.readers, deps.stats),
    },
    actions: {
      record: ({ context, event, self, system }: Args) => {
        if (event.type !== 'affair.detected' || !context.runtime) return;
        const rt = context.runtime;
        const now = Date.now();
        const dns = rt.dns;
        const result = rt.db.recordBatch(event.detections, {
          policy: rt.policy,
          whitelist: rt.whitelist,
          now,
          ...(dns ? { classOf: (ip: string) => dns.peek(ip) } : {}),
        });
        requestBans(rt, result.bans, self, system.get('fw-writer'));
        classify(rt, event.detections.map((d) => d.ip), self);
      },
      applyDns: ({ context, event, self, system }: Args) => {
        if (event.type !== 'dns.classified' || !context.runtime) return;
        const rt = context.runtime;
        const bans = rt.db.applyDnsClass(event.ip, event.cls, { policy: rt.policy, whitelist: rt.whitelist, now: Date.now() });
        requestBans(rt, bans, self, system.get('fw-writer'));
      },
      banApplied: ({ context, event }: Args) => {
        if (event.type !== 'fw.applied' || !context.runtime) return;
        const ids = context.runtime.inFlight.get(event.opId);
        if (!ids) return;
        context.runtime.inFlight.delete(event.opId);
        context.runtime.db.markBanActive(ids);
      },
      banFailed: ({ context, event }: Args) => {
        if (event.type !== 'fw.failed' || !context.runtime) return;
        context.runtime.inFlight.delete(event.opId);
        context.runtime.log.warn(`a ban was refused by the firewall (${event.error}); it stays pending for the next master load`);
      },
      refresh: ({ context }: Args) => {
        const rt = context.runtime;
        if (!rt) return;
        refreshRuntime(rt, deps.holder.current, deps.whitelist).catch((e: unknown) =>
          rt.log.warn(`reload of rules/whitelist failed, the previous ones stay: ${e instanceof Error ? e.message : String(e)}`),
        );
      },
      expire: ({ context, event, system }: Args) => {
        if (event.type !== 'expiry.due' || !context.runtime) return;
        const report = runExpiry(context.runtime, event.now, event.runId, expirySettings(deps.holder.current), system.get('fw-writer'));
        event.replyTo.send({ type: 'expiry.done', report });
      },
      expireOnStart: ({ context, system }: Args) => {
        if (!context.runtime) return;
        runExpiry(context.runtime, Date.now(), 0, expirySettings(deps.holder.current), system.get('fw-writer'));
      },
      manualBan: ({ context, event, self, system }: Args) => {
        if (event.type !== 'ban.manual' || !context.runtime) return;
        const rt = context.runtime;
        const reply = event.reply ?? (() => undefined);
        // the control path checked the whitelist too; the module's own copy decides in the end
        if (rt.whitelist.overlaps(event.entry)) {
          reply({ ok: false, module: rt.module, error: `${event.entry} is whitelisted: not banned` });
          return;
        }
        try {
          const now = Date.now();
          const ban = rt.db.manualBan(event.entry, now, event.durationMs === null ? null : now + event.durationMs);
          if (!ban) throw new Error(`${event.entry} is not an IP address or CIDR`);
          requestBans(rt, [ban], self, system.get('fw-writer'));
          reply({ ok: true, module: rt.module, bans: [{ entry: ban.entry, since: ban.since, until: ban.until, state: ban.state }], affairsCleared: 0, offenderCleared: false });
        } catch (e) {
          reply({ ok: false, module: rt.module, error: e instanceof Error ? e.message : String(e) });
        }
      },
      manualUnban: ({ context, event, system }: Args) => {
        if (event.type !== 'unban.manual' || !context.runtime) return;
        const rt = context.runtime;
        const reply = event.reply ?? (() => undefined);
        try {
          const lifted = rt.db.unban(event.entry);
          const cleared = rt.db.forget(event.entry);
          const fw = system.get('fw-writer');
          if (lifted.length > 0) {
            rt.log.info(`unban ${event.entry} by the operator; ${cleared.affairs} affairs cleared`);
            // no reply wanted: fw-writer retries a failed removal itself
            fw?.send({ type: 'unban.requested', opId: `${rt.module}:unban:${++ops}`, ops: [banOp(rt.module, lifted[0]!, 'del')] });
          }
          reply({
            ok: true,
            module: rt.module,
            bans: lifted.map((b) => ({ entry: b.entry, since: b.since, until: b.until, state: b.state })),
            affairsCleared: cleared.affairs,
            offenderCleared: cleared.offender,
          });
        } catch (e) {
          reply({ ok: false, module: rt.module, error: e instanceof Error ? e.message : String(e) });
        }
      },
      resendPending: ({ context, self, system }: Args) => {
        if (!context.runtime) return;
        requestBans(context.runtime, context.runtime.db.pendingBans(), self, system.get('fw-writer'));
      },
    } as never,
  });
}
