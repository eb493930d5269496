// Subnet aggregation: when enough distinct addresses of one /24 (IPv4) or /64 (IPv6) were banned
// recently, ban the subnet too. Pure: the caller counts the recent bans; never overlaps the whitelist.
import type { AddressMatcher } from '../ip-matcher.js';
import { formatIp, v4Network, v6Network, type IpValue } from '../ip.js';
import { banDuration, banUntil } from './ban-duration.js';
import { banSpreadMs } from './ban-spread.js';
import type { BanPolicy, SubnetPolicy } from './ban-policy.js';

/** The canonical CIDR text of the subnet holding `ip` at the configured prefix for its family. */
export function subnetOf(ip: IpValue, subnet: SubnetPolicy): string {
  if (ip.family === 4) {
    const prefix = Math.min(ip.prefix, subnet.v4Prefix);
    return formatIp({ family: 4, v4: v4Network(ip.v4, prefix), prefix, normalised: false });
  }
  const prefix = Math.min(ip.prefix, subnet.v6Prefix);
  return formatIp({ family: 6, v6: v6Network(ip.v6, prefix), prefix, normalised: false });
}

/** What the module's database knows about one subnet right after an address in it was banned. */
export interface SubnetFacts {
  readonly cidr: string;
  /** distinct addresses in it banned within the subnet window, the new ban included */
  readonly distinctBanned: number;
  /** end of the subnet's own current ban (Infinity: permanent); null when it has none */
  readonly bannedUntil: number | null;
  /** earlier bans of the subnet itself, for escalation */
  readonly previousBans: number;
}

export type SubnetDecision =
  | { readonly action: 'none'; readonly reason: 'disabled' | 'below-threshold' | 'already-banned' | 'overlaps-whitelist' }
  | {
      readonly action: 'ban';
      readonly cidr: string;
      readonly durationMs: number | null;
      readonly since: number;
      readonly until: number | null;
      readonly reason: string;
    };

export function decideSubnet(facts: SubnetFacts, policy: BanPolicy, whitelist: AddressMatcher, now: number): SubnetDecision {
  const sub = policy.subnet;
  if (sub === null) return { action: 'none', reason: 'disabled' };
  if (facts.distinctBanned < sub.threshold) return { action: 'none', reason: 'below-threshold' };
  if (facts.bannedUntil !== null && facts.bannedUntil > now) return { action: 'none', reason: 'already-banned' };
  // one whitelisted address inside is enough to refuse: the ban would drop it
  if (whitelist.overlaps(facts.cidr)) return { action: 'none', reason: 'overlaps-whitelist' };
  const durationMs = banDuration(policy, facts.previousBans);
  return {
    action: 'ban',
    cidr: facts.cidr,
    durationMs,
    since: now,
    until: banUntil(now, durationMs, banSpreadMs(policy.spread, facts.cidr, now, durationMs)),
    reason: `${facts.distinctBanned} addresses of ${facts.cidr} banned within ${sub.windowMs / 1000}s (threshold ${sub.threshold}); ban #${facts.previousBans + 1}`,
  };
}
