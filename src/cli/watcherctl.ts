// `watcherctl`: inspects and steers the running daemon through its control socket. Dispatches to one
// file per command (src/cli/ctl/); invoked as freeme or <M>injector it acts as unban or inject <M>.
import { runMatch, nodeMatchIo } from './match.js';
import { dynloadCommand } from './dynload.js';
import { aliasArgv } from './ctl/aliases.js';
import { banCommand, listCommand, showCommand, unbanCommand } from './ctl/bans.js';
import { configOf, EXIT, parseCtl, UsageError, type CtlFlags } from './ctl/common.js';
import { completionCommand } from './ctl/completion.js';
import { HELP } from './ctl/help.js';
import { injectCommand } from './ctl/inject.js';
import { expireCommand, reloadCommand } from './ctl/simple.js';
import { statusCommand } from './ctl/status.js';
import { traceCommand } from './ctl/trace.js';
import { whitelistCommand } from './ctl/whitelist.js';
import { runReport } from './report.js';
import { runStats } from './stats.js';

type Command = (args: string[], flags: CtlFlags) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  status: statusCommand,
  list: listCommand,
  show: showCommand,
  ban: banCommand,
  unban: unbanCommand,
  whitelist: whitelistCommand,
  inject: injectCommand,
  reload: reloadCommand,
  expire: expireCommand,
  trace: traceCommand,
  dynload: (args, flags) => dynloadCommand(configOf(flags), args, flags.json === true),
  completion: (args) => completionCommand(args),
};

async function main(argv: string[]): Promise<number> {
  // match has its own options and help
  if (argv[0] === 'match') return runMatch(argv.slice(1), nodeMatchIo());
  // report and stats read the databases themselves and have their own options and help
  if (argv[0] === 'report') return runReport(argv.slice(1));
  if (argv[0] === 'stats') return runStats(argv.slice(1));
  try {
    const { positionals, flags } = parseCtl(argv);
    const [cmd, ...args] = positionals;
    if (flags.help || cmd === 'help') {
      process.stdout.write(HELP);
      return EXIT.ok;
    }
    if (cmd === undefined) {
      process.stderr.write(HELP);
      return EXIT.usage;
    }
    const run = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (!run) throw new UsageError(`unknown command "${cmd}" (watcherctl --help lists them)`);
    return await run(args, flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`watcherctl: ${e.message}\n`);
    return EXIT.usage;
  }
}

// exitCode, not exit(): output to a pipe is written asynchronously and must not be cut off
main(aliasArgv(process.argv[1], process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`watcherctl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT.error;
  },
);
