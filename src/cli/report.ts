// `watcherctl report`: firewall state, dynloaders, module databases, top offenders and rules, ban counts;
// as text, JSON, or a self-contained HTML page (--html FILE, or --out DIR). Reads only; the daemon may be down.
import { parseArgs } from 'node:util';
import { MODULES, type ModuleName } from '../core/logline/types.js';
import { buildReport, writeReportFile, writeReportInto } from '../report/produce.js';
import { renderText } from '../report/render-text.js';
import { loadOptionsOf, locationOptions, type Flags } from './options.js';
import { configForControl } from './service.js';

export const REPORT_HELP = `watcherctl report — what Watcher saw and did

Usage: watcherctl report [--html FILE | --out DIR] [--module M] [--vhost V] [--json]

Firewall state (from the running daemon, if it answers), load pool lists, module databases, top
offenders, top rules and user names, bans over the last day and week; the HTML page adds charts
(affairs per hour per module, bans per day, top sources). Databases are opened read-only.

Options:
  --html FILE   write the report as one self-contained HTML page to FILE
  --out DIR     write it into DIR as watcher-report[-SCOPE]-<UTC time>.html
  --module M    only module M (LG, MX, MB, WB)
  --vhost V     WB only, one virtual host: nothing from other vhosts (no firewall or load pool part)
  --json        the report model as JSON on stdout
  --state-dir D, --config-dir D, --run-dir D, --socket PATH   as for watcher

Exit status: 0 done; 1 the report could not be written; 2 the command line is wrong.

Examples:
  watcherctl report
  watcherctl report --html /tmp/watcher.html && xdg-open /tmp/watcher.html
  watcherctl report --module WB --vhost shop.example.org --out /var/www/reports
`;

export async function runReport(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        html: { type: 'string' },
        out: { type: 'string' },
        module: { type: 'string' },
        vhost: { type: 'string' },
        json: { type: 'boolean' },
        ...locationOptions,
      },
    }));
  } catch (e) {
    process.stderr.write(`watcherctl report: ${e instanceof Error ? e.message : String(e)}\n\n${REPORT_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const usage = (msg: string): number => {
    process.stderr.write(`watcherctl report: ${msg}\n\n${REPORT_HELP}`);
    return 2;
  };
  if (values.module !== undefined && !(MODULES as readonly string[]).includes(values.module)) return usage('--module must be LG, MX, MB or WB');
  if (values.vhost !== undefined && values.module !== undefined && values.module !== 'WB') return usage('--vhost applies to module WB only');
  if (values.vhost === '') return usage('--vhost needs a name');
  if (values.html !== undefined && values.out !== undefined) return usage('choose one of --html and --out');
  if (values.json && (values.html !== undefined || values.out !== undefined)) return usage('--json prints to stdout; leave out --html and --out');
  const flags: Flags = {
    ...(values['state-dir'] !== undefined ? { 'state-dir': values['state-dir'] } : {}),
    ...(values['config-dir'] !== undefined ? { 'config-dir': values['config-dir'] } : {}),
    ...(values['run-dir'] !== undefined ? { 'run-dir': values['run-dir'] } : {}),
    ...(values.socket !== undefined ? { socket: values.socket } : {}),
  };
  const config = configForControl(loadOptionsOf(flags));
  const model = await buildReport(config, {
    ...(values.module !== undefined ? { module: values.module as ModuleName } : {}),
    ...(values.vhost !== undefined ? { vhost: values.vhost } : {}),
  });
  try {
    if (values.html !== undefined) console.log(`report written to ${writeReportFile(values.html, model)}`);
    else if (values.out !== undefined) console.log(`report written to ${writeReportInto(values.out, model)}`);
    else if (values.json) process.stdout.write(JSON.stringify(model, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? 'permanent' : v), 2) + '\n');
    else process.stdout.write(renderText(model));
  } catch (e) {
    process.stderr.write(`watcherctl report: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return 0;
}
