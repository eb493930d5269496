// Command-line flags shared by `watcher` and `watcherctl`, parsed with node:util parseArgs and
// turned into configuration overrides (flags win over every file).
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ConfigOverrides } from '../config/schema.js';
import type { LoadOptions } from '../config/load.js';

export const commonOptions = {
  'config-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  'run-dir': { type: 'string' },
  socket: { type: 'string' },
  backend: { type: 'string' },
  netns: { type: 'string' },
  'log-level': { type: 'string' },
  'log-dir': { type: 'string' },
  json: { type: 'boolean' },
  flush: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the configuration and the daemon are: accepted by every watcherctl command with its own options. */
export const locationOptions = {
  'state-dir': { type: 'string' },
  'config-dir': { type: 'string' },
  'run-dir': { type: 'string' },
  socket: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Flags = {
  [K in keyof typeof commonOptions]?: (typeof commonOptions)[K]['type'] extends 'string' ? string : boolean;
};

export function parseCommandLine(argv: string[]): { positionals: string[]; flags: Flags } {
  const { values, positionals } = parseArgs({ args: argv, options: commonOptions, allowPositionals: true, strict: true });
  return { positionals, flags: values as Flags };
}

/** Flags as config overrides; a --run-dir without --socket moves the socket along with it. */
export function loadOptionsOf(flags: Flags): LoadOptions {
  const o: ConfigOverrides = {};
  if (flags['state-dir']) o.state_dir = path.resolve(flags['state-dir']);
  if (flags['run-dir']) {
    o.run_dir = path.resolve(flags['run-dir']);
    if (!flags.socket) o.control = { socket: path.join(o.run_dir, 'watcher.sock') };
  }
  if (flags.socket) o.control = { socket: path.resolve(flags.socket) };
  // an empty --log-dir means stderr only
  if (flags['log-dir'] !== undefined) o.log_dir = flags['log-dir'] === '' ? '' : path.resolve(flags['log-dir']);
  if (flags['log-level']) o.log_level = flags['log-level'] as ConfigOverrides['log_level'];
  if (flags.backend || flags.netns !== undefined) {
    o.firewall = {
      ...(flags.backend ? { backend: flags.backend as 'auto' } : {}),
      ...(flags.netns !== undefined ? { netns: flags.netns } : {}),
    };
  }
  return { ...(flags['config-dir'] ? { configDir: path.resolve(flags['config-dir']) } : {}), overrides: o };
}
