// The shape of Watcher's configuration and the one place its rules are written. No defaults here:
// they live in conf/watcher.yaml, so a key missing from the shipped file fails validation (and a test).
import { z } from 'zod';
import { SOURCE_NAME_PATTERN } from '../core/fw-plan.js';
import { parseDuration, type DurationResult } from './duration.js';
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

const modules = z.strictObject({
  LG: toggle.optional(),
  MX: toggle.optional(),
  MB: toggle.optional(),
  WB: toggle.optional(),
});

const dynloaderName = z.string().regex(SOURCE_NAME_PATTERN, {
  error: 'dynloader names are 1-20 letters, digits, "_" or "-" (they become firewall set names)',
});

export const watcherConfigSchema = z.strictObject({
  state_dir: path,
  run_dir: path,
  log_level: z.enum(['error', 'warn', 'info', 'debug', 'trace']),
  firewall,
  lists,
  supervisor,
  modules,
  dynloaders: z.record(dynloaderName, toggle),
  control: z.strictObject({ socket: path }),
});

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
