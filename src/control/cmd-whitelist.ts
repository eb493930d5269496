// Control commands for the runtime whitelist (persisted by the daemon, wins after a reload).
// Parsing only (pure).
import { entryField, textField, type Field } from './fields.js';

export type WhitelistCommand =
  /** add an address or network to the runtime whitelist, with an optional comment */
  | { cmd: 'whitelist-add'; entry: string; comment?: string; by?: string }
  /** remove it from the runtime whitelist */
  | { cmd: 'whitelist-remove'; entry: string }
  /** the runtime whitelist's entries (and which static sources whitelist too) */
  | { cmd: 'whitelist-list' };

export const whitelistParsers = {
  'whitelist-add': (r: Record<string, unknown>): Field<WhitelistCommand> => {
    const e = entryField(r.entry, 'whitelist add');
    if (!e.ok) return e;
    const c = textField(r.comment, 'whitelist add: comment');
    if (!c.ok) return c;
    const by = textField(r.by, 'whitelist add: by', 64);
    if (!by.ok) return by;
    return { ok: true, value: { cmd: 'whitelist-add', entry: e.value, ...(c.value ? { comment: c.value } : {}), ...(by.value ? { by: by.value } : {}) } };
  },
  'whitelist-remove': (r: Record<string, unknown>): Field<WhitelistCommand> => {
    const e = entryField(r.entry, 'whitelist remove');
    return e.ok ? { ok: true, value: { cmd: 'whitelist-remove', entry: e.value } } : e;
  },
  'whitelist-list': (): Field<WhitelistCommand> => ({ ok: true, value: { cmd: 'whitelist-list' } }),
};
