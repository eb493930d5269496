// The one-word requests of watcherctl: reload (re-read the configuration) and expire (run expiry now).
import { ask, configOf, EXIT, printJson, UsageError, type CtlFlags } from './common.js';

function oneShot(cmd: 'reload' | 'expire', said: string) {
  return async (args: string[], flags: CtlFlags): Promise<number> => {
    if (args.length > 0) throw new UsageError(`${cmd} takes no arguments`);
    const a = await ask(configOf(flags), { cmd }, 10_000);
    if (!a.ok) return a.code;
    if (flags.json) printJson(a.result);
    else console.log(said);
    return EXIT.ok;
  };
}

export const reloadCommand = oneShot('reload', 'reload requested');
export const expireCommand = oneShot('expire', 'expiry requested: the expirer runs now');
