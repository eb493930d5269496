// The shape of Watcher's configuration and the one place its rules are written. No defaults here:
// they live in conf/watcher.yaml, so a key missing from the shipped file fails validation (and a test).
import { z } from 'zod';
import { SOURCE_NAME_PATTERN } from '../core/fw-plan.js';
import { parseDuration, type DurationResult } from './duration.js';
import { parseLoopbackListen } from '../core/listen-address.js';
import type { DeepReadonly } from './freeze.js';

/** Node's timers fire after 1 ms when asked to wait longer than this (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A duration written as "90s", "5m", "1h", "7d", "2w" or a number of seconds; validated into milliseconds. */
const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as 90s, 5m, 1h, 7d, 2w or a number of seconds' })
  .transform((text, ctx) => {
    const result = timerMs(text);
    if (result.ok) return result.ms;
    ctx.addIssue({ code: 'custom', message: result.message, input: text });
    return z.NEVER;
  });

// Every duration here feeds a timer: zero would spin, and beyond MAX_TIMER_MS Node fires at once.
function timerMs(text: string | number): DurationResult {
  const parsed = parseDuration(text);
  if (!parsed.ok) return parsed;
  if (parsed.ms === 0) return { ok: false, message: 'must be longer than zero' };
  if (parsed.ms > MAX_TIMER_MS) return { ok: false, message: `"${text}" is too long: timers wait at most 24 days` };
  return parsed;
}

const int = z.number().int();

/** A duration that is data, not a timer (ban times, retention): no 24-day cap. */
const longDuration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as 90s, 5m, 1h, 7d, 2w or a number of seconds' })
  .transform((text, ctx) => {
    const parsed = parseDuration(text);
    if (parsed.ok) return parsed.ms;
    ctx.addIssue({ code: 'custom', message: parsed.message, input: text });
    return z.NEVER;
  })
  .pipe(z.number().positive({ error: 'must be longer than zero' }));

const path = z.string().min(1, { error: 'must be a non-empty path' });

const toggle = z.strictObject({ enabled: z.boolean() });

// `ip netns` names become file names under /run/netns; empty (or a bare `netns:`) means the daemon's own.
const netns = z
  .string()
  .regex(/^[^/\s]*$/, { error: 'must be an `ip netns` name (no slashes or spaces), or empty' })
  .nullable()
  .transform((name) => name ?? '');

const firewall = z
  .strictObject({
    backend: z.enum(['auto', 'ipset', 'nftables', 'dry-run']),
    netns,
    keep_on_stop: z.boolean(),
    verify_interval: duration,
    retry_initial: duration,
    retry_max: duration,
    hook_priority: int.min(-400, { error: 'must be at least -400' }).max(400, { error: 'must be at most 400' }),
    batch_threshold: int.min(1, { error: 'must be at least 1' }),
  })
  .refine((fw) => fw.retry_initial <= fw.retry_max, {
    error: 'must not be longer than retry_max',
    path: ['retry_initial'],
  });

const lists = z.strictObject({
  whitelist: path,
  blacklist: path,
  admin: z.array(z.string().min(1, { error: 'must be an IP address or CIDR, not empty' })),
  host_addresses: z.boolean(),
});

const supervisor = z
  .strictObject({
    intensity: int.min(1, { error: 'must be at least 1' }),
    period: duration,
    backoff_initial: duration,
    backoff_max: duration,
    backoff_reset: duration,
    shutdown_timeout: duration,
  })
  .refine((s) => s.backoff_initial <= s.backoff_max, {
    error: 'must not be longer than backoff_max',
    path: ['backoff_initial'],
  });

/** How the lines of a source are framed: syslog (files, FIFOs), web access/error logs, or auto. */
const lineFormat = z.enum(['syslog', 'access', 'weberror', 'auto']);

/** Where a module's lines come from. */
const moduleSource = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('fifo'), path, format: lineFormat.optional() }),
    z.strictObject({ type: z.literal('file'), path, format: lineFormat.optional() }),
    z.strictObject({
      type: z.literal('journal'),
      units: z.array(z.string().min(1)).optional(),
      identifiers: z.array(z.string().min(1)).optional(),
      file: path.optional(),
      directory: path.optional(),
    }),
    z.strictObject({ type: z.literal('stdin'), format: lineFormat.optional() }),
  ],
  { error: 'a source needs type fifo, file, journal or stdin' },
);

const moduleConfig = z.strictObject({
  enabled: z.boolean(),
  /** MAXAFFAIRS: affairs within `window` that ban */
  limit: z.number().int().min(1),
  window: longDuration,
  ban_time: longDuration,
  /** repeat offenders: ban_time * ban_factor^(previous bans), at most ban_max */
  ban_factor: z.number().min(1),
  ban_max: longDuration,
  /** after this many previous bans the next one is permanent; 0 = never permanent */
  permanent_after: z.number().int().min(0),
  /** classify offenders by DNS (NXDOMAIN and FAKEHOST are banned on their second affair) */
  dns: z.boolean(),
  subnet: z.strictObject({
    enabled: z.boolean(),
    v4_prefix: z.number().int().min(8).max(32),
    v6_prefix: z.number().int().min(16).max(128),
    threshold: z.number().int().min(2),
    window: longDuration,
  }),
  /** WB: requests per IP per vhost within `window` that count as a flood (an instant ban); 0 = off */
  flood: z.strictObject({ requests: z.number().int().min(0), window: duration }),
  /** an injector FIFO <run_dir>/<MODULE>.inject that feeds lines as if they came from a source */
  inject_fifo: z.boolean(),
  sources: z.array(moduleSource),
});

const modules = z.strictObject({
  LG: moduleConfig,
  MX: moduleConfig,
  MB: moduleConfig,
  WB: moduleConfig,
});

const rules = z.strictObject({
  /** the shipped rule packs; empty = the rules/ directory of the package */
  shipped_dir: z.string(),
  /** local rules that add to or override shipped ones: <local_dir>/<MODULE>/*.yaml */
  local_dir: path,
});

const dns = z.strictObject({
  /** resolver addresses ("127.0.0.1", "127.0.0.1:5353", "[2001:db8::53]:53"); empty = the system's */
  servers: z.array(z.string().min(1)),
  timeout: duration,
  concurrency: z.number().int().min(1).max(1024),
  cache_size: z.number().int().min(1),
  positive_ttl: duration,
  negative_ttl: duration,
});

const dynloaderName = z.string().regex(SOURCE_NAME_PATTERN, {
  error: 'dynloader names are 1-20 letters, digits, "_" or "-" (they become firewall set names)',
});

// A dynloader entry is user-written with no shipped counterpart (dynloaders: {} ships empty), so its
// optional settings carry their defaults here; everything else is validated strictly.
const dynloader = z
  .strictObject({
    enabled: z.boolean(),
    /** the built-in format: Spamhaus DROP / DROPv6 (JSON lines or legacy text), NixSpam, a plain list */
    kind: z.enum(['spamhaus-drop', 'spamhaus-dropv6', 'nixspam', 'list']).default('list'),
    /** exactly one source: an http(s) URL, a local file, or a command's stdout (argument list, no shell) */
    url: z.string().regex(/^https?:\/\/\S+$/, { error: 'expected an http:// or https:// URL' }).optional(),
    file: z.string().min(1).optional(),
    command: z.array(z.string().min(1)).min(1).optional(),
    /** auto (by kind and content), spamhaus-json, spamhaus-text, nixspam or plain */
    format: z.enum(['auto', 'spamhaus-json', 'spamhaus-text', 'nixspam', 'plain']).default('auto'),
    /** 1-based whitespace-separated column holding the address (plain lists) */
    column: z.number().int().min(1).max(64).default(1),
    interval: duration.default(3_600_000),
    min_prefix_v4: z.number().int().min(0).max(32).default(8),
    min_prefix_v6: z.number().int().min(0).max(128).default(19),
    max_entries: z.number().int().min(1).default(1_000_000),
    timeout: duration.default(30_000),
    max_bytes: z.number().int().min(1).default(64 * 1024 * 1024),
  })
  .check((ctx) => {
    const v = ctx.value;
    const n = (v.url !== undefined ? 1 : 0) + (v.file !== undefined ? 1 : 0) + (v.command !== undefined ? 1 : 0);
    if (n !== 1) ctx.issues.push({ code: 'custom', message: 'a dynloader needs exactly one of url, file or command', input: v });
  });

/** The expirer: how often it runs, how long history is kept, database upkeep, and ban end spreading. */
const expiry = z.strictObject({
  /** every module's database is aged out this often (and on `watcherctl expire`) */
  interval: duration,
  /** affairs (the history reports read) are kept this long; never shorter than a module's window */
  affairs_retention: longDuration,
  /** offenders not seen for this long (and not banned) are forgotten, and ended bans older than this */
  offenders_retention: longDuration,
  /** a database is rebuilt (VACUUM) at most this often, and only when much of its file is free */
  vacuum_interval: longDuration,
  /** percent of a ban's duration its end may be pushed back (deterministically per address); 0 = off */
  ban_spread: z.number().min(0, { error: 'must be at least 0' }).max(100, { error: 'must be at most 100' }),
  /** the push never exceeds this */
  ban_spread_max: longDuration,
});

/** Retention shorter than a module's window would forget affairs and offenders the policy still counts. */
function checkRetention(ctx: z.core.ParsePayload<{ modules: z.output<typeof modules>; expiry: z.output<typeof expiry> }>): void {
  const { modules: mods, expiry: e } = ctx.value;
  for (const [name, m] of Object.entries(mods)) {
    if (!m.enabled) continue;
    for (const key of ['affairs_retention', 'offenders_retention'] as const) {
      if (e[key] < m.window) {
        ctx.issues.push({
          code: 'custom',
          message: `must not be shorter than the window of module ${name} (${m.window / 1000}s)`,
          input: e[key],
          path: ['expiry', key],
        });
      }
    }
  }
}

/** The Prometheus endpoint: off by default, loopback only (it has no authentication). */
const metrics = z.strictObject({
  enabled: z.boolean(),
  listen: z.string().transform((text, ctx) => {
    const r = parseLoopbackListen(text);
    if (r.ok) return r.address;
    ctx.addIssue({ code: 'custom', message: r.message, input: text });
    return z.NEVER;
  }),
});

// Scheduled reports: an HTML page into a directory and/or a mail through the local sendmail.
const mailAddress = z.string().regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+$/, { error: 'expected a mail address such as root@example.org' });
const reports = z.strictObject({
  /** off, daily, or weekly (Mondays) at `at`, local time */
  schedule: z.enum(['off', 'daily', 'weekly']),
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a local time HH:MM such as 06:30' }),
  /** recipients; empty: no mail */
  mail_to: z.array(mailAddress),
  /** the local sendmail (run as `sendmail -t -oi`, the message on stdin) */
  sendmail: path,
  /** directory the HTML page is written into; empty: none */
  dir: z.string(),
});

export const watcherConfigSchema = z.strictObject({
  state_dir: path,
  run_dir: path,
  log_level: z.enum(['error', 'warn', 'info', 'debug', 'trace']),
  /** per-module log files <dir>/<M>.log and <dir>/watcher.log besides stderr; empty = stderr only */
  log_dir: z.string(),
  firewall,
  lists,
  supervisor,
  modules,
  rules,
  dns,
  dynloaders: z.record(dynloaderName, dynloader),
  expiry,
  control: z.strictObject({
    socket: path,
    /** a group (name or number) whose members may use watcherctl: socket mode 0660; empty: root only (0600) */
    group: z
      .string()
      .regex(/^([a-z_][a-z0-9_.-]{0,31}\$?|\d{1,10})?$/, { error: 'must be a group name or number, or empty' })
      .default(''),
  }),
  metrics,
  reports,
}).check(checkRetention);

/** The validated configuration: durations in milliseconds, list paths absolute, deeply frozen. */
export type WatcherConfig = DeepReadonly<z.output<typeof watcherConfigSchema>>;

/** What a config file may say, before validation (durations as text or seconds). */
export type WatcherConfigInput = z.input<typeof watcherConfigSchema>;

export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Settings that win over every file, such as command-line flags (--state-dir). */
export type ConfigOverrides = DeepPartial<WatcherConfigInput>;
