// A module's ban policy settings (limit, window, escalation, subnet aggregation) with defaults and
// validation. Pure data: the module passes the resolved policy into every decision.
import type { BanSpread } from './ban-spread.js';

/** Ban a whole subnet when `threshold` distinct addresses in it were banned within `windowMs`. */
export interface SubnetPolicy {
  v4Prefix: number;
  v6Prefix: number;
  threshold: number;
  windowMs: number;
}

export interface BanPolicy {
  /** MAXAFFAIRS: the affair count (sum of weights within the window) that bans */
  limit: number;
  windowMs: number;
  /** first ban's duration; repeat offenders get banMs * factor^(previous bans), at most maxBanMs */
  banMs: number;
  factor: number;
  maxBanMs: number;
  /** after this many previous bans the next ban is permanent; null: never permanent */
  permanentAfter: number | null;
  /** null: subnet aggregation off */
  subnet: SubnetPolicy | null;
  /** ban ends are pushed back by a deterministic jitter (ban-spread.ts); null: every ban ends exactly */
  spread: BanSpread | null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_SUBNET_POLICY: Readonly<SubnetPolicy> = Object.freeze({
  v4Prefix: 24,
  v6Prefix: 64,
  threshold: 3,
  windowMs: HOUR,
});

export const DEFAULT_BAN_POLICY: Readonly<BanPolicy> = Object.freeze({
  limit: 5,
  windowMs: 10 * MINUTE,
  banMs: HOUR,
  factor: 2,
  maxBanMs: 30 * DAY,
  permanentAfter: null,
  subnet: null,
  spread: null,
});

export type BanPolicyInput = Partial<Omit<BanPolicy, 'subnet'>> & { subnet?: Partial<SubnetPolicy> | null };

/** Fills the defaults and rejects settings that would make the policy meaningless (RangeError). */
export function resolveBanPolicy(input: BanPolicyInput = {}): BanPolicy {
  const subnet = input.subnet ? { ...DEFAULT_SUBNET_POLICY, ...input.subnet } : null;
  const p: BanPolicy = { ...DEFAULT_BAN_POLICY, ...input, subnet };
  const problems: string[] = [];
  const positiveInt = (v: number): boolean => Number.isInteger(v) && v >= 1;
  if (!positiveInt(p.limit)) problems.push('limit must be an integer >= 1');
  if (!(p.windowMs > 0)) problems.push('windowMs must be > 0');
  if (!(p.banMs > 0)) problems.push('banMs must be > 0');
  if (!(p.factor >= 1)) problems.push('factor must be >= 1');
  if (!(p.maxBanMs >= p.banMs)) problems.push('maxBanMs must be >= banMs');
  if (p.permanentAfter !== null && !(Number.isInteger(p.permanentAfter) && p.permanentAfter >= 0)) {
    problems.push('permanentAfter must be an integer >= 0 or null');
  }
  if (p.spread !== null) {
    if (!(p.spread.percent > 0 && p.spread.percent <= 100)) problems.push('spread.percent must be in (0, 100]');
    if (!(p.spread.maxMs > 0)) problems.push('spread.maxMs must be > 0');
  }
  if (subnet) {
    // a /0 "subnet" would ban the Internet; below /8 and /16 an aggregation is surely a mistake
    if (!(Number.isInteger(subnet.v4Prefix) && subnet.v4Prefix >= 8 && subnet.v4Prefix <= 31)) {
      problems.push('subnet.v4Prefix must be an integer in 8..31');
    }
    if (!(Number.isInteger(subnet.v6Prefix) && subnet.v6Prefix >= 16 && subnet.v6Prefix <= 127)) {
      problems.push('subnet.v6Prefix must be an integer in 16..127');
    }
    if (!(Number.isInteger(subnet.threshold) && subnet.threshold >= 2)) problems.push('subnet.threshold must be an integer >= 2');
    if (!(subnet.windowMs > 0)) problems.push('subnet.windowMs must be > 0');
  }
  if (problems.length > 0) throw new RangeError(`ban policy: ${problems.join('; ')}`);
  return p;
}
