// Control commands about bans and addresses: list, show, ban, unban. Parsing only (pure).
import { countField, durationField, entryField, optionalModule, sourceField, type ControlModule, type Field } from './fields.js';

/** Entries of a list or load pool file returned by one `list --source` at most (the rest is counted). */
export const MAX_LIST_ROWS = 100_000;

export type BanCommand =
  /** active bans (module databases) or the entries of one source's list, with since/until/reason */
  | { cmd: 'list'; module?: ControlModule; source?: string; limit: number }
  /** everything known about one address or network across modules, sets and whitelists */
  | { cmd: 'show'; entry: string }
  /** an operator's ban in one module (default: the only enabled one) for `forMs` (default: its ban_time) */
  | { cmd: 'ban'; entry: string; module?: ControlModule; forMs?: number }
  /** lift the ban in every module that has it and clear the address's affairs and offender state */
  | { cmd: 'unban'; entry: string };

export const banParsers = {
  list: (r: Record<string, unknown>): Field<BanCommand> => {
    const m = optionalModule(r.module, 'list');
    if (!m.ok) return m;
    const s = sourceField(r.source, 'list');
    if (!s.ok) return s;
    const limit = countField(r.limit, 'list: limit', 1, MAX_LIST_ROWS, 1000);
    if (!limit.ok) return limit;
    return { ok: true, value: { cmd: 'list', ...(m.value ? { module: m.value } : {}), ...(s.value ? { source: s.value } : {}), limit: limit.value } };
  },
  show: (r: Record<string, unknown>): Field<BanCommand> => {
    const e = entryField(r.entry, 'show');
    return e.ok ? { ok: true, value: { cmd: 'show', entry: e.value } } : e;
  },
  ban: (r: Record<string, unknown>): Field<BanCommand> => {
    const e = entryField(r.entry, 'ban');
    if (!e.ok) return e;
    const m = optionalModule(r.module, 'ban');
    if (!m.ok) return m;
    const d = durationField(r.forMs, 'ban');
    if (!d.ok) return d;
    return { ok: true, value: { cmd: 'ban', entry: e.value, ...(m.value ? { module: m.value } : {}), ...(d.value !== undefined ? { forMs: d.value } : {}) } };
  },
  unban: (r: Record<string, unknown>): Field<BanCommand> => {
    const e = entryField(r.entry, 'unban');
    return e.ok ? { ok: true, value: { cmd: 'unban', entry: e.value } } : e;
  },
};
