// Control commands about the daemon itself: status, reload, stop, expire, trace. Parsing only (pure).
import { actorField, type Field } from './fields.js';

export type DaemonCommand =
  /** the actor tree, firewall sets, modules and dynloaders */
  | { cmd: 'status' }
  /** re-read the configuration and re-apply lists and load pool (SIGHUP does the same) */
  | { cmd: 'reload' }
  /** stop the daemon; flush: also remove everything Watcher put into the firewall */
  | { cmd: 'stop'; flush: boolean }
  /** run the expirer now (affairs and bans whose time is up) */
  | { cmd: 'expire' }
  /** stream state transitions and events (of one actor and its children, or all) until the client goes */
  | { cmd: 'trace'; actor?: string };

export const daemonParsers = {
  status: (): Field<DaemonCommand> => ({ ok: true, value: { cmd: 'status' } }),
  reload: (): Field<DaemonCommand> => ({ ok: true, value: { cmd: 'reload' } }),
  expire: (): Field<DaemonCommand> => ({ ok: true, value: { cmd: 'expire' } }),
  stop: (r: Record<string, unknown>): Field<DaemonCommand> =>
    r.flush === undefined || typeof r.flush === 'boolean' ? { ok: true, value: { cmd: 'stop', flush: r.flush === true } } : { ok: false, error: 'stop: flush must be true or false' },
  trace: (r: Record<string, unknown>): Field<DaemonCommand> => {
    const a = actorField(r.actor, 'trace');
    if (!a.ok) return a;
    return { ok: true, value: a.value === undefined ? { cmd: 'trace' } : { cmd: 'trace', actor: a.value } };
  },
};
