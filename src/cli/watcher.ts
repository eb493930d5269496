// `watcher`: the daemon (`run`) and its service verbs, plus `check-config`. Exit codes: 0 ok,
// 1 error, 2 usage, 3 not running (status), 7 not running (reload).
import { parseCommandLine, loadOptionsOf } from './options.js';
import { configForControl, configOrExit, daemonStatus, full, printStatus, reload, start, stop } from './service.js';
import { formatProblems, loadConfig } from '../config/load.js';
import { runDaemon } from '../daemon/run.js';

const HELP = `watcher — real-time intrusion detection and prevention daemon, superordinate firewall manager

Usage: watcher <verb> [options]

Verbs:
  run            run in the foreground (for systemd); SIGHUP reloads, SIGTERM stops
  start          master load, then the other actors, in the background (log: <state>/watcher.log)
  stop [--flush] stop the actors; firewall entries stay unless --flush
  restart        stop, then start
  reload         re-apply lists and load pool atomically without restarting modules (also SIGHUP)
  full           remove everything Watcher put into the firewall, then start from blank
  status         show the actor tree and firewall state (exit 3 when not running)
  check-config   validate the configuration; print every problem with file:line (exit 1 on problems)

Options:
  --config-dir DIR   drop-in directory of *.yaml files (default /etc/watcher/watcher.d)
  --state-dir DIR    databases, load pool, logs (default /var/lib/watcher)
  --run-dir DIR      pid file and control socket (default /run/watcher)
  --socket PATH      control socket (default <run-dir>/watcher.sock)
  --backend NAME     auto | ipset | nftables | dry-run
  --netns NAME       manage the firewall of this network namespace (ip netns name)
  --log-level LEVEL  error | warn | info | debug | trace
  --json             machine-readable output (status)

Examples:
  watcher run --state-dir ./state              # foreground, embedded default
  watcher check-config --config-dir /etc/watcher/watcher.d
  watcher stop --flush                         # stop and remove every Watcher firewall entry
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    process.stderr.write(`watcher: ${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
    return 2;
  }
  const { positionals, flags } = parsed;
  const verb = positionals[0];
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`watcher: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
