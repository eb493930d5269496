// The reporter's side effects: on each scheduled run, build the report (read-only), write the HTML page
// into `reports.dir` and/or pipe a MIME mail to the local sendmail (argument list, no shell), and say
// when the next run is due. Never sends anything to fw-writer or a module.
import { randomBytes } from 'node:crypto';
import { fromPromise } from 'xstate';
import { Exec } from '../src/adapters/exec.js';
import type { WatcherConfig } from '../src/config/schema.js';
import { nextReportAt } from '../src/core/report-schedule.js';
import type { Logger } from '../src/log.js';
import { composeMail } from '../src/report/mail.js';
import type { ReportModel } from '../src/report/model.js';
import { buildReport, writeReportInto } from '../src/report/produce.js';
import { renderHtml } from '../src/report/render-html.js';
import { renderText } from '../src/report/render-text.js';
import { titleOf } from '../src/report/render-common.js';
import { reporterMachine, type ReporterInput, type ReportRun } from '../machines/reporter.js';

export interface ReporterDeps {
  /** the running configuration (read at each run: a reload that keeps the child changes nothing it needs) */
  config: () => WatcherConfig;
  log: Logger;
  now?: () => number;
  /** where sendmail runs: the host, never the firewall's namespace */
  exec?: Exec;
}

/** Pipes one report mail to `sendmail -t -oi`; throws with its exit status and stderr on failure. */
export async function mailReport(config: WatcherConfig, model: ReportModel, exec: Exec, now: number): Promise<void> {
  const r = config.reports;
  const mime = composeMail({
    to: r.mail_to,
    subject: titleOf(model),
    text: renderText(model),
    html: renderHtml(model),
    date: new Date(now),
    boundary: `=_watcher_${randomBytes(12).toString('hex')}`,
  });
  const res = await exec.run(r.sendmail, ['-t', '-oi'], { input: mime, timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`${r.sendmail} exited ${res.code}: ${res.stderr.trim() || res.stdout.trim()}`);
}

function delayUntilNext(config: WatcherConfig, now: number): number {
  const next = nextReportAt(now, config.reports.schedule, config.reports.at);
  // schedule off: the child is not started; if it runs anyway, it waits a day and checks again
  return next === null ? 86_400_000 : Math.max(1_000, next - now);
}

export function reporterInput(deps: ReporterDeps): ReporterInput {
  const now = (deps.now ?? Date.now)();
  return { firstDelayMs: delayUntilNext(deps.config(), now) };
}

export function reporterLogic(deps: ReporterDeps) {
  const clock = deps.now ?? Date.now;
  const exec = deps.exec ?? new Exec(null);
  return reporterMachine.provide({
    actors: {
      produce: fromPromise<ReportRun>(async () => {
        const config = deps.config();
        const at = clock();
        const run: ReportRun = { at, outcome: 'done', file: null, mailed: 0, error: null, nextDelayMs: 0 };
        const errors: string[] = [];
        try {
          const model = await buildReport(config, {}, clock);
          if (config.reports.dir !== '') {
            try {
              run.file = writeReportInto(config.reports.dir, model);
            } catch (e) {
              errors.push(`writing into ${config.reports.dir}: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
          if (config.reports.mail_to.length > 0) {
            try {
              await mailReport(config, model, exec, clock());
              run.mailed = config.reports.mail_to.length;
            } catch (e) {
              errors.push(`mail: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        } catch (e) {
          errors.push(e instanceof Error ? e.message : String(e));
        }
        if (errors.length > 0) {
          run.outcome = 'failed';
          run.error = errors.join('; ');
        }
        run.nextDelayMs = delayUntilNext(config, clock());
        return run;
      }),
    },
    actions: {
      logRun: (_, { run }) => {
        const what = [run.file ? `written to ${run.file}` : null, run.mailed > 0 ? `mailed to ${run.mailed} recipient(s)` : null].filter(Boolean).join(', ');
        if (run.outcome === 'done') deps.log.info(`report ${what || 'produced (no dir, no mail_to: nothing delivered)'}; next in ${Math.round(run.nextDelayMs / 60_000)} min`);
        else deps.log.warn(`report failed: ${run.error}${what ? ` (${what})` : ''}`);
      },
    },
  });
}
