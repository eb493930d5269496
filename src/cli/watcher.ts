// `watcher`: the daemon (`run`), its service verbs, `check-config`, and `prep`/`unprep` (installation).
// Exit codes: 0 ok, 1 error, 2 usage, 3 not running (status), 4 prerequisites missing (prep),
// 7 not running (reload).
import { parseCommandLine, loadOptionsOf } from './options.js';
import { configForControl, configOrExit, daemonStatus, full, printStatus, reload, start, stop } from './service.js';
import { formatProblems, loadConfig } from '../config/load.js';
import { runDaemon } from '../daemon/run.js';
import { HELP, verbHelp } from './help.js';
import { PrepUsageError, runPrep, runUnprep } from './prep.js';

async function main(argv: string[]): Promise<number> {
  // prep/unprep have their own options (--root, --dry-run, --purge, --init).
  if (argv[0] === 'prep' || argv[0] === 'unprep') {
    if (argv.includes('--help') || argv.includes('-h')) return printHelp(argv[0]);
    try {
      return await (argv[0] === 'prep' ? runPrep(argv.slice(1)) : runUnprep(argv.slice(1)));
    } catch (e) {
      if (!(e instanceof PrepUsageError)) throw e;
      process.stderr.write(`watcher ${argv[0]}: ${e.message}\n\n${verbHelp(argv[0])}`);
      return 2;
    }
  }
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    process.stderr.write(`watcher: ${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
    return 2;
  }
  const { positionals, flags } = parsed;
  const verb = positionals[0];
  if (verb === 'help' && positionals[1] !== undefined) return printHelp(positionals[1]);
  if (flags.help && verb !== undefined && verb !== 'help') return printHelp(verb);
  if (flags.help || verb === undefined || verb === 'help') {
    process.stdout.write(HELP);
    return verb === undefined && !flags.help ? 2 : 0;
  }
  const opts = loadOptionsOf(flags);
  // What `start` passes on to the detached `watcher run`: every flag but the verb's own.
  const passOn = argv.filter((a) => a !== verb && a !== '--flush' && a !== '--json');
  switch (verb) {
    case 'run':
      return runDaemon(opts);
    case 'check-config': {
      const r = loadConfig(opts);
      if (r.ok) {
        console.log(`configuration OK (${r.sources.join(', ')})`);
        return 0;
      }
      process.stderr.write(`${formatProblems(r.problems)}\n${r.problems.length} problem(s) found\n`);
      return 1;
    }
    case 'start':
      return start(configOrExit(opts), passOn);
    case 'stop':
      return stop(configForControl(opts), flags.flush === true);
    case 'restart': {
      const config = configOrExit(opts);
      const code = await stop(config, false);
      return code !== 0 ? code : start(config, passOn);
    }
    case 'reload':
      return reload(configForControl(opts));
    case 'full':
      return full(configOrExit(opts), passOn);
    case 'status':
      return printStatus(await daemonStatus(configForControl(opts)), flags.json === true);
    default:
      process.stderr.write(`watcher: unknown verb "${verb}"\n\n${HELP}`);
      return 2;
  }
}

/** One verb's page (exit 0), or the overview on stderr for an unknown verb (exit 2). */
function printHelp(verb: string): number {
  const page = verbHelp(verb);
  if (page === null) {
    process.stderr.write(`watcher: no verb "${verb}"\n\n${HELP}`);
    return 2;
  }
  process.stdout.write(page);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`watcher: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
