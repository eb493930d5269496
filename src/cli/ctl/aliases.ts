// The tool names users of the original Watcher know, as thin aliases of watcherctl: invoked as
// `freeme` it is `watcherctl unban`; as `LGinjector` (MX, MB, WB) it is `watcherctl inject LG`,
// with the lines from the arguments or, when there are none, from standard input. Pure.
import path from 'node:path';

// options of the injectors that take a value (`--socket PATH`); `--socket=PATH` needs no special case
const VALUE_OPTIONS = new Set(['--config-dir', '--state-dir', '--run-dir', '--socket']);

/** The watcherctl arguments for an invocation under `program` (argv[1]) with `args`. */
export function aliasArgv(program: string | undefined, args: readonly string[]): string[] {
  const base = path.basename(program ?? '').replace(/\.(js|mjs|cjs)$/, '');
  if (base === 'freeme') return ['unban', ...args];
  const m = /^(LG|MX|MB|WB)injector$/.exec(base);
  if (m) {
    const lines: string[] = [];
    const opts: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (!a.startsWith('--')) lines.push(a);
      else {
        opts.push(a);
        if (VALUE_OPTIONS.has(a) && i + 1 < args.length) opts.push(args[++i]!);
      }
    }
    return ['inject', m[1]!, ...(lines.length > 0 ? lines : ['-']), ...opts];
  }
  return [...args];
}
