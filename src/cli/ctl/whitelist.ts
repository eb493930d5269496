// `watcherctl whitelist add|remove|list`: the runtime whitelist, persisted by the daemon and applied
// through a reload (the whitelist set always wins in the firewall; modules never ban its entries).
import os from 'node:os';
import { ask, configOf, EXIT, printJson, UsageError, type CtlFlags } from './common.js';

/** Who runs this, for the entry's comment: the sudo user when there is one. */
function operator(): string {
  const sudo = process.env.SUDO_USER;
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return (sudo && sudo !== user ? `${sudo} (via sudo)` : user).slice(0, 64);
}

export async function whitelistCommand(args: string[], flags: CtlFlags): Promise<number> {
  const [verb, entry, ...rest] = args;
  const config = configOf(flags);
  if (verb === 'list' || verb === undefined) {
    if (entry !== undefined) throw new UsageError('whitelist list takes no address');
    const a = await ask<{ file: string; static: string; admin: string[]; entries: { entry: string; comment: string }[] }>(config, { cmd: 'whitelist-list' });
    if (!a.ok) return a.code;
    if (flags.json) printJson(a.result);
    else {
      console.log(`runtime whitelist ${a.result.file}: ${a.result.entries.length} entries`);
      for (const e of a.result.entries) console.log(`  ${e.entry}${e.comment ? `  # ${e.comment}` : ''}`);
      console.log(`static whitelist: ${a.result.static}; lists.admin: ${a.result.admin.join(', ') || '(none)'}; loopback and this host's addresses are always whitelisted`);
    }
    return EXIT.ok;
  }
  if ((verb !== 'add' && verb !== 'remove') || entry === undefined || rest.length > 0) {
    throw new UsageError('usage: watcherctl whitelist add|remove <ip|cidr> [--comment TEXT] | whitelist list');
  }
  if (verb === 'remove' && flags.comment !== undefined) throw new UsageError('--comment belongs to whitelist add');
  const a = await ask<{ entry: string; file: string; changed: boolean; reload: string }>(
    config,
    verb === 'add'
      ? { cmd: 'whitelist-add', entry, by: operator(), ...(flags.comment !== undefined ? { comment: flags.comment } : {}) }
      : { cmd: 'whitelist-remove', entry },
  );
  if (!a.ok) return a.code;
  if (flags.json) printJson(a.result);
  else if (!a.result.changed) console.log(`${a.result.entry} is already in the runtime whitelist`);
  else console.log(`${a.result.entry} ${verb === 'add' ? 'added to' : 'removed from'} the runtime whitelist (${a.result.file}); reload requested`);
  return EXIT.ok;
}
