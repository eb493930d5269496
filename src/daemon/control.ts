// The daemon's control handler: turns each parsed control command into reads of snapshots, events
// to actors, or supervisor events (reload, shutdown). The control socket is one of the two owners
// allowed to send the supervisor events (signals are the other); it never starts or stops actors.
import type { AnyActorRef } from 'xstate';
import type { DynloadStatus } from '../../actors/dynload/dynloader.js';
import type { ControlCommand } from '../control/protocol.js';
import { Streamed } from '../control/server.js';
import { enabledDynloaders } from './children.js';
import { banHandler } from './ctl-bans.js';
import type { ControlContext } from './ctl-context.js';
import { whitelistHandler } from './ctl-whitelist.js';
import { statusOf } from './status.js';

export type { ControlContext } from './ctl-context.js';

export function controlHandler(ctx: ControlContext): (cmd: ControlCommand) => Promise<unknown> {
  const { root, deps } = ctx;
  const get = (id: string) => root.system.get(id) as AnyActorRef | undefined;
  return async (cmd) => {
    switch (cmd.cmd) {
      case 'status':
        return statusOf({ root, backend: ctx.backend, startedAt: ctx.startedAt, config: deps.holder.current, pipelines: deps.pipelines, dynloads: deps.dynloads });
      case 'inject': {
        const mod = get(`module:${cmd.module}`);
        if (!mod) throw new Error(`module ${cmd.module} is not running (enable it: modules.${cmd.module}.enabled)`);
        mod.send({ type: 'lines.injected', lines: cmd.lines });
        return { injected: cmd.lines.length };
      }
      case 'dynload': {
        const names = cmd.name !== undefined ? [cmd.name] : enabledDynloaders(deps);
        const at = Date.now();
        for (const n of names) {
          const dl = get(`dynloader:${n}`);
          if (!dl) throw new Error(`dynloader ${n} is not running (configure it under dynloaders.${n} with enabled: true)`);
          // a loader that is already fetching ignores this: 100 requests cost one download
          dl.send({ type: 'dynload.now', at });
        }
        return { dynload: 'requested', loaders: names };
      }
      case 'dynload-status': {
        const now = Date.now();
        return [...(deps.dynloads ?? new Map<string, DynloadStatus>()).values()].map((s) => ({
          ...s,
          // the board is written when a loader goes idle; the live state comes from its snapshot
          state: String(get(`dynloader:${s.name}`)?.getSnapshot().value ?? 'not running'),
          ageSeconds: s.lastSuccessAt !== null ? Math.round((now - s.lastSuccessAt) / 1000) : null,
        }));
      }
      case 'reload':
        root.send({ type: 'reload.requested' });
        return { reload: 'requested' };
      case 'stop':
        setImmediate(() => ctx.stop(cmd.flush || !deps.holder.current.firewall.keep_on_stop));
        return { stop: 'requested', flush: cmd.flush };
      case 'expire': {
        const expirer = get('expirer');
        if (!expirer) throw new Error('the expirer is not running (see watcherctl status); nothing was expired');
        expirer.send({ type: 'expire.now' });
        return { expire: 'requested' };
      }
      case 'trace':
        return new Streamed({ trace: 'started', actor: cmd.actor ?? null }, (emit) => ctx.trace.subscribe(cmd.actor, emit));
      case 'list':
      case 'show':
      case 'ban':
      case 'unban':
        return banHandler(ctx, cmd);
      case 'whitelist-add':
      case 'whitelist-remove':
      case 'whitelist-list':
        return whitelistHandler(ctx, cmd);
    }
  };
}
