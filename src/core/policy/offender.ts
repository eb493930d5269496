// Decides what one affair (or a late DNS answer) does to an offender: ignore, record only, or ban now.
// Pure: the offender's state, the policy, the whitelist and the current time are all passed in.
import type { AddressMatcher } from '../ip-matcher.js';
import type { IpValue } from '../ip.js';
import { addAffair, EMPTY_WINDOW, pruneWindow, windowWeight, type AffairWindow } from './affair-window.js';
import { banDuration, banUntil } from './ban-duration.js';
import type { BanPolicy } from './ban-policy.js';
import { classPreset, mergeClass, type DnsClass } from './dns-class.js';

/** An IP's history as far as banning is concerned. */
export interface OffenderState {
  readonly window: AffairWindow;
  readonly dnsClass: DnsClass;
  /** bans this offender already had: drives escalation */
  readonly bans: number;
  /** end of its current ban, ms (Infinity: permanent); null when not banned */
  readonly bannedUntil: number | null;
}

export const NEW_OFFENDER: OffenderState = Object.freeze({
  window: EMPTY_WINDOW,
  dnsClass: 'unknown',
  bans: 0,
  bannedUntil: null,
});

export interface PolicyContext {
  readonly policy: BanPolicy;
  readonly whitelist: AddressMatcher;
  /** the module's clock, ms: bans start now; also the window anchor for a late DNS answer */
  readonly now: number;
}

/** One affair as the policy sees it. */
export interface AffairInput {
  readonly ip: string | IpValue;
  /** when it happened, ms (the line's time, or the module's clock when the line had none) */
  readonly time: number;
  readonly weight: number;
}

export type Decision =
  | { readonly action: 'ignore'; readonly reason: 'whitelisted' }
  | { readonly action: 'record'; readonly count: number; readonly reason: 'below-limit' | 'already-banned' }
  | {
      readonly action: 'ban';
      readonly count: number;
      /** null: permanent */
      readonly durationMs: number | null;
      readonly since: number;
      readonly until: number | null;
      /** for operators: why, in one line */
      readonly reason: string;
    };

export interface Outcome {
  readonly decision: Decision;
  /** the offender afterwards (unchanged when ignored) */
  readonly state: OffenderState;
}

/** The count the limit is compared with: window weight plus the DNS class preset once it has affairs. */
export function effectiveCount(state: OffenderState, limit: number): number {
  const w = windowWeight(state.window);
  return w > 0 ? w + classPreset(state.dnsClass, limit) : 0;
}

export function isBanned(state: OffenderState, now: number): boolean {
  return state.bannedUntil !== null && state.bannedUntil > now;
}

/** Whitelisted? Single IPv4 addresses take the matcher's allocation-free path: this runs for every line. */
function whitelisted(whitelist: AddressMatcher, ip: string | IpValue): boolean {
  if (typeof ip !== 'string' && ip.family === 4 && ip.prefix === 32) return whitelist.coversV4(ip.v4);
  return whitelist.covers(ip);
}

/** A new affair of `state` (undefined: first time seen). */
export function onAffair(state: OffenderState | undefined, affair: AffairInput, ctx: PolicyContext): Outcome {
  const s = state ?? NEW_OFFENDER;
  if (whitelisted(ctx.whitelist, affair.ip)) return { decision: { action: 'ignore', reason: 'whitelisted' }, state: s };
  // lines still in flight while the firewall entry lands are kept as affairs but not counted again
  if (isBanned(s, ctx.now)) return { decision: { action: 'record', count: effectiveCount(s, ctx.policy.limit), reason: 'already-banned' }, state: s };
  // a weight of 0 or less is a line worth keeping but not counting
  if (!(affair.weight > 0)) return judge(s, ctx, 'affair');
  const window = addAffair(s.window, affair.time, affair.weight, ctx.policy.windowMs);
  return judge({ window, dnsClass: s.dnsClass, bans: s.bans, bannedUntil: s.bannedUntil }, ctx, 'affair');
}

/**
 * The offender's DNS class became known (asynchronously): re-evaluate, which may ban at once. An unknown
 * answer (lookup failed) keeps the class already known.
 */
export function onDnsClass(state: OffenderState | undefined, ip: string | IpValue, dnsClass: DnsClass, ctx: PolicyContext): Outcome {
  const prev = state ?? NEW_OFFENDER;
  const s = { ...prev, dnsClass: mergeClass(prev.dnsClass, dnsClass) };
  if (whitelisted(ctx.whitelist, ip)) return { decision: { action: 'ignore', reason: 'whitelisted' }, state: s };
  if (isBanned(s, ctx.now)) return { decision: { action: 'record', count: effectiveCount(s, ctx.policy.limit), reason: 'already-banned' }, state: s };
  return judge({ ...s, window: pruneWindow(s.window, ctx.now, ctx.policy.windowMs) }, ctx, 'dns');
}

function judge(s: OffenderState, ctx: PolicyContext, trigger: 'affair' | 'dns'): Outcome {
  const { limit } = ctx.policy;
  const count = effectiveCount(s, limit);
  if (count < limit) return { decision: { action: 'record', count, reason: 'below-limit' }, state: s };
  const durationMs = banDuration(ctx.policy, s.bans);
  const until = banUntil(ctx.now, durationMs);
  const cls = s.dnsClass === 'unknown' ? '' : ` (${s.dnsClass})`;
  const when = trigger === 'dns' ? ', on its DNS class' : '';
  const reason = `${count} affairs within ${ctx.policy.windowMs / 1000}s reached the limit ${limit}${cls}${when}; ban #${s.bans + 1}`;
  return {
    decision: { action: 'ban', count, durationMs, since: ctx.now, until, reason },
    // the window starts empty again: after the ban the offender has to earn the next one
    state: { window: EMPTY_WINDOW, dnsClass: s.dnsClass, bans: s.bans + 1, bannedUntil: until ?? Number.POSITIVE_INFINITY },
  };
}
