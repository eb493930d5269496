// The report as data: what `watcherctl report` and the reporter show, built once and rendered as text,
// HTML or JSON. Types only. Strings in it may be attacker-controlled (user names, vhosts): renderers escape.
import type { ModuleName } from '../core/logline/types.js';

export interface ReportScope {
  /** null: every module with a database */
  module: ModuleName | null;
  /** WB only: nothing from other virtual hosts (no firewall, load pool or module-wide sections) */
  vhost: string | null;
}

export interface SetRow {
  name: string;
  /** drop, or return for the whitelist; null when the daemon does not say */
  verdict: string | null;
  /** entries per family when the daemon reports them separately */
  v4: number | null;
  v6: number | null;
  entries: number;
}

export interface FirewallState {
  /** how the state was learnt: the daemon's status answer, or why there is none */
  daemon: 'running' | 'not running' | 'no answer';
  note: string | null;
  backend: string | null;
  writerState: string | null;
  queued: number | null;
  lastError: string | null;
  /** entries per set, when the daemon reports them */
  sets: SetRow[];
  /** the last master load: when it started (ms) and its state; null when unknown */
  masterLoad: { at: number | null; state: string } | null;
  children: { id: string; state: string; restarts: number }[];
}

export interface DynloaderRow {
  name: string;
  source: string;
  /** ms, from the load pool header; null when the header is unreadable */
  fetchedAt: number | null;
  entries: number | null;
  /** from the running daemon, when it reports its loaders */
  nextRunAt: number | null;
  lastError: string | null;
}

export interface ModuleState {
  module: ModuleName;
  file: string;
  bytes: number;
  schemaVersion: number;
  affairs: number;
  offenders: number;
  activeBans: number;
  pendingBans: number;
  oldestAffair: number | null;
  newestAffair: number | null;
  /** the oldest hour kept in rollups (history beyond the affair retention); null: none yet */
  historySince: number | null;
}

export interface OffenderRow {
  ip: string;
  module: ModuleName;
  affairs: number;
  lastSeen: number;
  dnsClass: string | null;
  bans: number | null;
  /** the current ban's end: null none, Infinity permanent */
  bannedUntil: number | null;
}

export interface CountRow {
  label: string;
  module: ModuleName | null;
  count: number;
}

export interface BanSummary {
  label: string;
  from: number;
  bans: number;
  unbans: number;
  expiries: number;
}

export interface Series {
  name: string;
  values: number[];
}

export interface ReportCharts {
  /** hour starts (ms) and one series per module */
  attacksPerHour: { starts: number[]; series: Series[] };
  /** day starts (ms, UTC) and one series per module */
  bansPerDay: { starts: number[]; series: Series[] };
  topSources: CountRow[];
}

export interface ReportModel {
  generatedAt: number;
  host: string;
  scope: ReportScope;
  /** affairs in top lists count from this time (the last 7 days) */
  window: { from: number; to: number };
  firewall: FirewallState | null;
  dynloaders: DynloaderRow[] | null;
  modules: ModuleState[];
  topOffenders: OffenderRow[];
  topRules: CountRow[];
  topUsers: CountRow[];
  topVhosts: CountRow[];
  banCounts: BanSummary[];
  charts: ReportCharts;
  /** problems met while gathering (a file that could not be read): shown, never fatal */
  problems: string[];
}
