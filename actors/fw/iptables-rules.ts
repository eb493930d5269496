// The WATCHER chain as iptables text: renders iptables-restore input and reads `iptables -S` output.
// Pure. One transaction per family, so a reader never sees a half-written chain.
import type { Verdict } from '../../src/core/fw-plan.js';

export const CHAIN = 'WATCHER';
export const JUMP_RULE = `-A INPUT -j ${CHAIN}`;

export interface ChainRule {
  set: string;
  verdict: Verdict;
}

/** The rule text exactly as `iptables -S` prints it (iptables-nft 1.8.9 and legacy agree). */
export function ruleText(r: ChainRule): string {
  // accept sets only RETURN: Watcher never drops them, the admin's own rules still apply afterwards.
  return `-A ${CHAIN} -m set --match-set ${r.set} src -j ${r.verdict === 'accept' ? 'RETURN' : 'DROP'}`;
}

/** What `iptables -S` (filter table) says about Watcher's part. */
export interface FilterState {
  chainExists: boolean;
  /** INPUT rules in order, as printed */
  input: string[];
  /** WATCHER rules in order, as printed */
  chain: string[];
}

export function parseFilter(listing: string): FilterState {
  const lines = listing.split('\n').map((l) => l.trim());
  return {
    chainExists: lines.includes(`-N ${CHAIN}`),
    input: lines.filter((l) => l.startsWith('-A INPUT ')),
    chain: lines.filter((l) => l.startsWith(`-A ${CHAIN} `)),
  };
}

export function jumpCount(state: FilterState): number {
  return state.input.filter((l) => l === JUMP_RULE).length;
}

/**
 * Rewrites the chain and leaves exactly one jump, first in INPUT. A `-D` without a matching rule fails
 * the whole transaction, so the caller passes how many jumps it saw in INPUT.
 */
export function renderChain(rules: readonly ChainRule[], jumpsPresent: number): string {
  const lines = ['*filter', `:${CHAIN} - [0:0]`, `-F ${CHAIN}`, ...rules.map(ruleText)];
  for (let i = 0; i < jumpsPresent; i++) lines.push(`-D INPUT -j ${CHAIN}`);
  lines.push(`-I INPUT 1 -j ${CHAIN}`, 'COMMIT', '');
  return lines.join('\n');
}

/** Removes the jumps and the chain; null when there is nothing to remove. */
export function renderRemoval(state: FilterState): string | null {
  const jumps = jumpCount(state);
  if (!state.chainExists && jumps === 0) return null;
  const lines = ['*filter'];
  for (let i = 0; i < jumps; i++) lines.push(`-D INPUT -j ${CHAIN}`);
  if (state.chainExists) lines.push(`-F ${CHAIN}`, `-X ${CHAIN}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
