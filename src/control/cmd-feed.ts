// Control commands that feed work in: inject (log lines into a module), dynload, dynload-status.
// Parsing only (pure).
import { moduleField, nameField, type ControlModule, type Field } from './fields.js';

/** At most this many lines per inject request (the request size is bounded too). */
export const MAX_INJECT_LINES = 10_000;

export type FeedCommand =
  /** feed log lines into a running module exactly as if they came from its source */
  | { cmd: 'inject'; module: ControlModule; lines: string[] }
  /** run one dynloader now (name), or every enabled one (no name, e.g. from cron); a busy one coalesces */
  | { cmd: 'dynload'; name?: string }
  /** per dynloader: last attempt, last success, entries, age, next run, last error */
  | { cmd: 'dynload-status' };

export const feedParsers = {
  inject: (r: Record<string, unknown>): Field<FeedCommand> => {
    const m = moduleField(r.module, 'inject');
    if (!m.ok) return m;
    if (!Array.isArray(r.lines) || r.lines.length > MAX_INJECT_LINES || !r.lines.every((l) => typeof l === 'string')) {
      return { ok: false, error: `inject needs lines: an array of at most ${MAX_INJECT_LINES} strings` };
    }
    return { ok: true, value: { cmd: 'inject', module: m.value, lines: r.lines as string[] } };
  },
  dynload: (r: Record<string, unknown>): Field<FeedCommand> => {
    if (r.name === undefined) return { ok: true, value: { cmd: 'dynload' } };
    const n = nameField(r.name, 'dynload');
    return n.ok ? { ok: true, value: { cmd: 'dynload', name: n.value } } : n;
  },
  'dynload-status': (): Field<FeedCommand> => ({ ok: true, value: { cmd: 'dynload-status' } }),
};
