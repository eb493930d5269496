// `watcherctl status`: the actor tree with state, uptime and restarts; firewall sets and entry counts
// per source; modules with affairs, offenders and bans; dynloaders with their last success.
import type { DaemonStatus } from '../../daemon/status.js';
import { ask, configOf, EXIT, printJson, type CtlFlags } from './common.js';
import { printStatusText } from './status-text.js';

export async function statusCommand(_args: string[], flags: CtlFlags): Promise<number> {
  const a = await ask<DaemonStatus>(configOf(flags), { cmd: 'status' }, 10_000);
  if (!a.ok) {
    if (flags.json && a.code === EXIT.notRunning) printJson({ running: false });
    return a.code;
  }
  if (flags.json) printJson(a.result);
  else printStatusText(a.result);
  return EXIT.ok;
}
