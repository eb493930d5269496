// `watcherctl`: inspects and steers the running daemon through its control socket.
import { parseCommandLine, loadOptionsOf } from './options.js';
import { configForControl, daemonStatus, printStatus, reload } from './service.js';

const HELP = `watcherctl — inspect and steer the running Watcher daemon

Usage: watcherctl <command> [options]

Commands:
  status [--json]   the actor tree with each actor's state, uptime and restart count; firewall queue
  reload            re-read the configuration and re-apply lists and load pool atomically

Options: --config-dir DIR, --run-dir DIR, --socket PATH (as for watcher)

Examples:
  watcherctl status
  watcherctl status --json | jq .children
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    process.stderr.write(`watcherctl: ${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
    return 2;
  }
  const { positionals, flags } = parsed;
  const cmd = positionals[0];
  if (flags.help || cmd === undefined) {
    process.stdout.write(HELP);
    return cmd === undefined && !flags.help ? 2 : 0;
  }
  const config = configForControl(loadOptionsOf(flags));
  switch (cmd) {
    case 'status':
      return printStatus(await daemonStatus(config), flags.json === true);
    case 'reload':
      return reload(config);
    default:
      process.stderr.write(`watcherctl: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`watcherctl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
