// Decides what one affair (or a late DNS answer) does to an offender: ignore, record only, or ban now.
// Pure: the offender's state, the policy, the whitelist and the current time are all passed in; the
// in-place forms change only the offender object they are given.
import type { AddressMatcher } from '../ip-matcher.js';
import type { IpValue } from '../ip.js';
import { addAffairIn, EMPTY_WINDOW, fromPairs, pairsWeight, pruneWindowIn, toPairs, truncatePairs, windowWeight, type AffairWindow, type WindowPairs } from './affair-window.js';
import { banDuration, banUntil } from './ban-duration.js';
import { banSpreadMs } from './ban-spread.js';
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
export function effectiveCount(state: Pick<OffenderState, 'window' | 'dnsClass'>, limit: number): number {
  const w = windowWeight(state.window);
  return w > 0 ? w + classPreset(state.dnsClass, limit) : 0;
}

export function isBanned(state: Pick<OffenderState, 'bannedUntil'>, now: number): boolean {
  return state.bannedUntil !== null && state.bannedUntil > now;
}

/** Whitelisted? Single IPv4 addresses take the matcher's allocation-free path: this runs for every line. */
function whitelisted(whitelist: AddressMatcher, ip: string | IpValue): boolean {
  if (typeof ip !== 'string' && ip.family === 4 && ip.prefix === 32) return whitelist.coversV4(ip.v4);
  return whitelist.covers(ip);
}

/**
 * An offender's state as its owner changes it in place: the hot path (one per line) then allocates
 * nothing but a ban. Same meaning as OffenderState; the window is flat (WindowPairs) and changed in
 * place, never replaced.
 */
export interface LiveOffender {
  window: WindowPairs;
  dnsClass: DnsClass;
  bans: number;
  bannedUntil: number | null;
  /** memo of the whitelist check of its (one) address: the matcher asked (immutable; a reload brings a
   *  new one, which the next affair checks against) and its answer */
  checkedAgainst: AddressMatcher | null;
  whitelistHit: boolean;
}

// The whitelist check of a live offender, asked again only when the matcher changed (a reload).
function liveWhitelisted(o: LiveOffender, whitelist: AddressMatcher, ip: string | IpValue): boolean {
  if (o.checkedAgainst !== whitelist) {
    o.whitelistHit = whitelisted(whitelist, ip);
    o.checkedAgainst = whitelist;
  }
  return o.whitelistHit;
}

export type BanDecision = Extract<Decision, { action: 'ban' }>;

/** What applyAffair / applyDnsClass decided: one of three constants, or a ban. */
export type Verdict = typeof IGNORED | typeof RECORDED | typeof RECORDED_BANNED | BanDecision;
export const IGNORED = Object.freeze({ action: 'ignore', reason: 'whitelisted' } as const);
export const RECORDED = Object.freeze({ action: 'record', reason: 'below-limit' } as const);
export const RECORDED_BANNED = Object.freeze({ action: 'record', reason: 'already-banned' } as const);

/**
 * onAffair in place, the affair given field by field: `o` becomes the offender afterwards (unchanged when
 * ignored). `dnsClass` is a class learnt meanwhile (merged as mergeClass does; undefined: none).
 */
export function applyAffair(o: LiveOffender, ip: string | IpValue, time: number, weight: number, ctx: PolicyContext, dnsClass?: DnsClass): Verdict {
  if (liveWhitelisted(o, ctx.whitelist, ip)) return IGNORED;
  o.dnsClass = mergeClass(o.dnsClass, dnsClass);
  // lines still in flight while the firewall entry lands are kept as affairs but not counted again
  if (isBanned(o, ctx.now)) return RECORDED_BANNED;
  // a weight of 0 or less is a line worth keeping but not counting; the window array is changed in
  // place, never replaced: its owner reuses it for every affair (see OffenderCursor)
  if (weight > 0) addAffairIn(o.window, time, weight, ctx.policy.windowMs);
  return judge(o, ip, ctx, 'affair');
}

/** onDnsClass in place. */
export function applyDnsClass(o: LiveOffender, ip: string | IpValue, dnsClass: DnsClass, ctx: PolicyContext): Verdict {
  o.dnsClass = mergeClass(o.dnsClass, dnsClass);
  if (liveWhitelisted(o, ctx.whitelist, ip)) return IGNORED;
  if (isBanned(o, ctx.now)) return RECORDED_BANNED;
  pruneWindowIn(o.window, ctx.now, ctx.policy.windowMs);
  return judge(o, ip, ctx, 'dns');
}

/** A new affair of `state` (undefined: first time seen). */
export function onAffair(state: OffenderState | undefined, affair: AffairInput, ctx: PolicyContext): Outcome {
  const o = live(state);
  return outcome(applyAffair(o, affair.ip, affair.time, affair.weight, ctx), o, ctx);
}

/**
 * The offender's DNS class became known (asynchronously): re-evaluate, which may ban at once. An unknown
 * answer (lookup failed) keeps the class already known.
 */
export function onDnsClass(state: OffenderState | undefined, ip: string | IpValue, dnsClass: DnsClass, ctx: PolicyContext): Outcome {
  const o = live(state);
  return outcome(applyDnsClass(o, ip, dnsClass, ctx), o, ctx);
}

function live(state: OffenderState | undefined): LiveOffender {
  const s = state ?? NEW_OFFENDER;
  return { window: toPairs(s.window), dnsClass: s.dnsClass, bans: s.bans, bannedUntil: s.bannedUntil, checkedAgainst: null, whitelistHit: false };
}

function outcome(v: Verdict, o: LiveOffender, ctx: PolicyContext): Outcome {
  const state: OffenderState = { window: fromPairs(o.window), dnsClass: o.dnsClass, bans: o.bans, bannedUntil: o.bannedUntil };
  const decision: Decision = v.action === 'record' ? { action: 'record', count: effectiveCount(state, ctx.policy.limit), reason: v.reason } : v;
  return { decision, state };
}

/** effectiveCount of a live offender. */
export function liveCount(o: LiveOffender, limit: number): number {
  const w = pairsWeight(o.window);
  return w > 0 ? w + classPreset(o.dnsClass, limit) : 0;
}

// Bans when the count reached the limit: the window starts empty again, the offender has to earn the next.
// The end is spread by the address, so a flood of bans in one second does not lift in one second.
function judge(o: LiveOffender, ip: string | IpValue, ctx: PolicyContext, trigger: 'affair' | 'dns'): Verdict {
  const { limit } = ctx.policy;
  const count = liveCount(o, limit);
  if (count < limit) return RECORDED;
  const durationMs = banDuration(ctx.policy, o.bans);
  const until = banUntil(ctx.now, durationMs, banSpreadMs(ctx.policy.spread, ip, ctx.now, durationMs));
  const cls = o.dnsClass === 'unknown' ? '' : ` (${o.dnsClass})`;
  const when = trigger === 'dns' ? ', on its DNS class' : '';
  const reason = `${count} affairs within ${ctx.policy.windowMs / 1000}s reached the limit ${limit}${cls}${when}; ban #${o.bans + 1}`;
  truncatePairs(o.window);
  o.bans += 1;
  o.bannedUntil = until ?? Number.POSITIVE_INFINITY;
  return { action: 'ban', count, durationMs, since: ctx.now, until, reason };
}
