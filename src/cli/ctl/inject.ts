// `watcherctl inject M LINE...` (aliases LGinjector, MXinjector, MBinjector, WBinjector): log lines
// into a running module as if read from its source; "-" (or no line) reads standard input.
import { readFileSync } from 'node:fs';
import { MAX_INJECT_LINES } from '../../control/cmd-feed.js';
import { MODULES } from '../../control/fields.js';
import { ask, configOf, EXIT, printJson, UsageError, type CtlFlags } from './common.js';

export async function injectCommand(args: string[], flags: CtlFlags): Promise<number> {
  const [module, ...rest] = args;
  if (!module || !(MODULES as readonly string[]).includes(module) || rest.length === 0) {
    throw new UsageError('usage: watcherctl inject LG|MX|MB|WB LINE... (or - for standard input)');
  }
  const lines = rest.length === 1 && rest[0] === '-' ? readFileSync(0, 'utf8').split('\n').filter((l) => l !== '') : rest;
  const config = configOf(flags);
  let sent = 0;
  // large inputs go in chunks: one request stays below the socket's size limit
  for (let i = 0; i < lines.length || i === 0; i += 200) {
    const chunk = lines.slice(i, i + Math.min(200, MAX_INJECT_LINES));
    if (chunk.length === 0) break;
    const a = await ask(config, { cmd: 'inject', module: module as 'LG', lines: chunk });
    if (!a.ok) return a.code;
    sent += chunk.length;
  }
  if (flags.json) printJson({ injected: sent, module });
  else console.log(`injected ${sent} line(s) into ${module}`);
  return EXIT.ok;
}
