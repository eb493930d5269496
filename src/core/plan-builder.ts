// Assembles the FirewallPlan from already aggregated sources, in rule order: the whitelist (accept)
// first so it always wins, then blacklist, dynloaders and modules (drop). Pure.
import type { FirewallPlan, PlannedSet, SetEntries } from './fw-plan.js';

export interface PlanInputs {
  whitelist: SetEntries;
  blacklist: SetEntries;
  /** one per enabled dynloader, by name */
  dynloaders: { name: string; entries: SetEntries }[];
  /** one per enabled module (LG, MX, MB, WB): its active bans */
  modules: { name: string; entries: SetEntries }[];
}

export function buildPlan(inputs: PlanInputs): FirewallPlan {
  const sets: PlannedSet[] = [
    { source: 'whitelist', verdict: 'accept', entries: inputs.whitelist },
    { source: 'blacklist', verdict: 'drop', entries: inputs.blacklist },
  ];
  for (const d of [...inputs.dynloaders].sort((a, b) => a.name.localeCompare(b.name))) {
    sets.push({ source: `dl:${d.name}`, verdict: 'drop', entries: d.entries });
  }
  for (const m of inputs.modules) sets.push({ source: `mod:${m.name}`, verdict: 'drop', entries: m.entries });
  return { sets };
}
