// Small pure validators for the fields of control requests: each returns the value or an error
// message for the response. Strict: a wrong type or shape is refused, never coerced.
import { formatIp, parseIp } from '../core/ip.js';

export const MODULES = ['LG', 'MX', 'MB', 'WB'] as const;
export type ControlModule = (typeof MODULES)[number];

/** A field is either valid (its value) or a message saying what is wrong with it. */
export type Field<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const bad = <T>(error: string): Field<T> => ({ ok: false, error });

export function moduleField(v: unknown, what: string): Field<ControlModule> {
  return typeof v === 'string' && (MODULES as readonly string[]).includes(v) ? ok(v as ControlModule) : bad(`${what} needs module LG, MX, MB or WB`);
}

/** An optional module: absent (undefined) is fine. */
export function optionalModule(v: unknown, what: string): Field<ControlModule | undefined> {
  return v === undefined ? ok(undefined) : moduleField(v, what);
}

/** An IP address or CIDR in any form parseIp accepts; the value is the canonical text. */
export function entryField(v: unknown, what: string): Field<string> {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return bad(`${what} needs an IP address or CIDR`);
  const r = parseIp(v.trim());
  return r.ok ? ok(formatIp(r.ip)) : bad(`${what}: ${r.error}`);
}

/** A dynloader name (as in the configuration). */
export function nameField(v: unknown, what: string): Field<string> {
  return typeof v === 'string' && /^[A-Za-z0-9_-]{1,20}$/.test(v) ? ok(v) : bad(`${what} needs a dynloader name (1-20 letters, digits, "_" or "-")`);
}

/** A source name: whitelist, blacklist, dl:<name> or mod:<M>. */
export function sourceField(v: unknown, what: string): Field<string | undefined> {
  if (v === undefined) return ok(undefined);
  if (typeof v === 'string' && (v === 'whitelist' || v === 'blacklist' || /^dl:[A-Za-z0-9_-]{1,20}$/.test(v) || /^mod:(LG|MX|MB|WB)$/.test(v))) return ok(v);
  return bad(`${what}: source must be whitelist, blacklist, dl:<name> or mod:<LG|MX|MB|WB>`);
}

/** A positive whole number of milliseconds (already parsed by the client), at most ten years. */
export function durationField(v: unknown, what: string): Field<number | undefined> {
  if (v === undefined) return ok(undefined);
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 10 * 366 * 86_400_000 ? ok(v) : bad(`${what}: forMs must be a positive number of milliseconds`);
}

/** Free text of at most `max` characters on one line (comments). */
export function textField(v: unknown, what: string, max = 200): Field<string | undefined> {
  if (v === undefined) return ok(undefined);
  return typeof v === 'string' && v.length <= max && !/[\r\n\0]/.test(v) ? ok(v) : bad(`${what}: text must be one line of at most ${max} characters`);
}

/** A whole number in [min, max]; absent gives the default. */
export function countField(v: unknown, what: string, min: number, max: number, dflt: number): Field<number> {
  if (v === undefined) return ok(dflt);
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? ok(v) : bad(`${what} must be a whole number from ${min} to ${max}`);
}

/** An optional actor id for trace (letters, digits and ":._-@"). */
export function actorField(v: unknown, what: string): Field<string | undefined> {
  if (v === undefined) return ok(undefined);
  return typeof v === 'string' && /^[A-Za-z0-9:._@-]{1,64}$/.test(v) ? ok(v) : bad(`${what} needs an actor id such as module:LG or fw-writer`);
}
