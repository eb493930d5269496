// How long a ban lasts: base duration grown for repeat offenders, capped, optionally permanent.
// Pure arithmetic on the policy and the number of bans the offender (or subnet) already had.
import type { BanPolicy } from './ban-policy.js';

/** Milliseconds the next ban lasts; null means permanent. previousBans counts earlier bans only. */
export function banDuration(policy: BanPolicy, previousBans: number): number | null {
  if (policy.permanentAfter !== null && previousBans >= policy.permanentAfter) return null;
  // factor ** n overflows to Infinity for long histories; the cap still holds then
  return Math.min(policy.banMs * policy.factor ** previousBans, policy.maxBanMs);
}

/** End of a ban starting at `since`, pushed back by `spreadMs` (ban-spread.ts); null (permanent) stays null. */
export function banUntil(since: number, durationMs: number | null, spreadMs = 0): number | null {
  return durationMs === null ? null : since + durationMs + spreadMs;
}
