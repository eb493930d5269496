// One report end to end for watcherctl and the reporter: ask the daemon for its status (if it answers),
// gather from the state directory, and write the HTML page into a directory atomically.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DaemonNotRunning, request } from '../control/client.js';
import type { WatcherConfig } from '../config/schema.js';
import type { ModuleName } from '../core/logline/types.js';
import { gatherReport } from './gather.js';
import type { ReportModel } from './model.js';
import { renderHtml } from './render-html.js';

export interface ReportRequest {
  module?: ModuleName;
  vhost?: string;
}

/** The daemon's status, or why there is none; never throws. */
export async function daemonStatusFor(config: WatcherConfig, timeoutMs = 5_000): Promise<{ status: unknown; daemon?: 'not running' | 'no answer' }> {
  try {
    const r = await request(config.control.socket, { cmd: 'status' }, timeoutMs);
    return r.ok ? { status: r.result } : { status: null, daemon: 'no answer' };
  } catch (e) {
    return { status: null, daemon: e instanceof DaemonNotRunning ? 'not running' : 'no answer' };
  }
}

export async function buildReport(config: WatcherConfig, req: ReportRequest, now: () => number = Date.now): Promise<ReportModel> {
  const { status, daemon } = await daemonStatusFor(config);
  return gatherReport({
    config,
    now: now(),
    status,
    ...(daemon ? { daemon } : {}),
    ...(req.module ? { module: req.module } : {}),
    ...(req.vhost !== undefined ? { vhost: req.vhost } : {}),
  });
}

/** "watcher-report-20261122T0700Z.html" (a vhost report names its vhost, made file-name safe). */
export function reportFileName(m: ReportModel): string {
  const stamp = new Date(m.generatedAt).toISOString().slice(0, 16).replace(/[-:]/g, '');
  const scope = m.scope.vhost !== null ? `-${m.scope.vhost.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 100)}` : m.scope.module ? `-${m.scope.module}` : '';
  return `watcher-report${scope}-${stamp}Z.html`;
}

/** Writes the HTML page into `dir` (created 0750 if missing): temp file then rename; returns the path. */
export function writeReportInto(dir: string, m: ReportModel): string {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  return writeReportFile(path.join(dir, reportFileName(m)), m);
}

export function writeReportFile(file: string, m: ReportModel): string {
  const tmp = `${file}.tmp-${process.pid}`;
  // addresses and user names: readable by the owner and its group only
  writeFileSync(tmp, renderHtml(m), { mode: 0o640 });
  renameSync(tmp, file);
  return file;
}
