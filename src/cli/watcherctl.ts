// `watcherctl`: inspects and steers the running daemon through its control socket.
import { parseCommandLine, loadOptionsOf } from './options.js';
import { configForControl, daemonStatus, printStatus, reload } from './service.js';
import { runMatch, nodeMatchIo } from './match.js';
import { request, DaemonNotRunning } from '../control/client.js';
import { readFileSync } from 'node:fs';
import { dynloadCommand } from './dynload.js';
import { runReport } from './report.js';
import { runStats } from './stats.js';

const HELP = `watcherctl — inspect and steer the running Watcher daemon

Usage: watcherctl <command> [options]

Commands:
  status [--json]   the actor tree with each actor's state, uptime and restart count; firewall queue
  reload            re-read the configuration and re-apply lists and load pool atomically
  dynload [NAME]    run dynloader NAME now (all enabled ones without NAME, e.g. from cron); a loader
                    that is already running answers all requests with that one run
  dynload status [--json]
                    per dynloader: last attempt, last success, entries, age, next run, last error
  inject M LINE...  feed log lines into running module M (LG, MX, MB, WB) as if read from its source;
                    LINE "-" reads lines from standard input
  report [--html FILE | --out DIR] [--module M] [--vhost V] [--json]
                    firewall state, load pool, module databases, top offenders and rules, bans;
                    as text, JSON or a self-contained HTML page with charts (report --help)
  stats --module M [--from D] [--to D] [--by hour|day|month] [--csv] [--tz utc|local] [--vhost V]
                    per period: affairs by event kind, new offenders, bans, unbans, expiries, DNS
                    classes; CSV loads into a spreadsheet as is (stats --help)
  match --module M [--json] [--missed] [--format F] FILE|-
                    run one module's rules over a log file offline (like fail2ban-regex): no time
                    window, no DNS, no firewall, no database; --json prints one object per detection

Options: --config-dir DIR, --run-dir DIR, --socket PATH (as for watcher)

Examples:
  watcherctl status
  watcherctl status --json | jq .children
  watcherctl inject LG 'Nov 22 01:50:29 host sshd[23796]: Failed password for root from 203.0.113.5 port 4242 ssh2'
  watcherctl match --module LG /var/log/auth.log
  journalctl -u ssh -o short | watcherctl match --module LG --json -
  watcherctl report --html /tmp/watcher-report.html
  watcherctl stats --module LG --from 2026-11-01 --to 2026-11-30 --csv > lg.csv
`;

async function inject(argv: string[]): Promise<number> {
  const { positionals, flags } = parseCommandLine(argv);
  const [module, ...rest] = positionals;
  if (!module || !['LG', 'MX', 'MB', 'WB'].includes(module) || rest.length === 0) {
    process.stderr.write('usage: watcherctl inject LG|MX|MB|WB LINE... (or - for standard input)\n');
    return 2;
  }
  const lines = rest.length === 1 && rest[0] === '-' ? readFileSync(0, 'utf8').split('\n').filter((l) => l !== '') : rest;
  const config = configForControl(loadOptionsOf(flags));
  try {
    const r = await request(config.control.socket, { cmd: 'inject', module: module as 'LG', lines });
    if (!r.ok) {
      process.stderr.write(`watcherctl: ${r.error?.message ?? 'refused'}\n`);
      return 1;
    }
    console.log(`injected ${lines.length} line(s) into ${module}`);
    return 0;
  } catch (e) {
    if (e instanceof DaemonNotRunning) {
      process.stderr.write(`watcherctl: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  // match and inject have their own options; everything else shares the common ones.
  if (argv[0] === 'match') return runMatch(argv.slice(1), nodeMatchIo());
  if (argv[0] === 'inject') return inject(argv.slice(1));
  if (argv[0] === 'report') return runReport(argv.slice(1));
  if (argv[0] === 'stats') return runStats(argv.slice(1));
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
    case 'dynload':
      return dynloadCommand(config, positionals.slice(1), flags.json === true);
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
