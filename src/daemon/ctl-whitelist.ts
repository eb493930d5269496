// The control handlers of the runtime whitelist: add/remove persist to <state_dir>/whitelist.runtime,
// then ask the supervisor for a reload so the whitelist wins in the firewall and modules refresh it.
import { addRuntimeWhitelist, readRuntimeWhitelist, removeRuntimeWhitelist, runtimeWhitelistPath } from '../adapters/runtime-whitelist.js';
import type { WhitelistCommand } from '../control/cmd-whitelist.js';
import type { ControlContext } from './ctl-context.js';

export async function whitelistHandler(ctx: ControlContext, cmd: WhitelistCommand, now = new Date()): Promise<unknown> {
  const config = ctx.deps.holder.current;
  const file = runtimeWhitelistPath(config.state_dir);
  switch (cmd.cmd) {
    case 'whitelist-add': {
      const who = `added by ${cmd.by ?? 'watcherctl'} ${now.toISOString().replace(/\.\d+Z$/, 'Z')}${cmd.comment ? `: ${cmd.comment}` : ''}`;
      const changed = addRuntimeWhitelist(file, cmd.entry, who);
      if (changed) ctx.root.send({ type: 'reload.requested' });
      return { entry: cmd.entry, file, changed, reload: changed ? 'requested' : 'not needed' };
    }
    case 'whitelist-remove': {
      if (!removeRuntimeWhitelist(file, cmd.entry)) {
        throw new Error(`${cmd.entry} is not in the runtime whitelist ${file} (entries of ${config.lists.whitelist} are edited there)`);
      }
      ctx.root.send({ type: 'reload.requested' });
      return { entry: cmd.entry, file, changed: true, reload: 'requested' };
    }
    case 'whitelist-list':
      return { file, static: config.lists.whitelist, admin: config.lists.admin, entries: readRuntimeWhitelist(file) };
  }
}
