// The control protocol spoken on the Unix socket: newline-delimited JSON requests and responses,
// each with a version field. This file owns the envelope (version, id, size, dispatch); each command
// group parses its own fields (cmd-*.ts). Pure: parsing and validation only, never throws.
import { banParsers, type BanCommand } from './cmd-bans.js';
import { daemonParsers, type DaemonCommand } from './cmd-daemon.js';
import { feedParsers, type FeedCommand } from './cmd-feed.js';
import { whitelistParsers, type WhitelistCommand } from './cmd-whitelist.js';
import type { Field } from './fields.js';

export const PROTOCOL_VERSION = 1;
/** A request line longer than this is refused (and the connection closed). */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type ControlCommand = DaemonCommand | FeedCommand | BanCommand | WhitelistCommand;
export type { BanCommand, DaemonCommand, FeedCommand, WhitelistCommand };

type Parser = (r: Record<string, unknown>) => Field<ControlCommand>;

const PARSERS: Readonly<Record<string, Parser>> = Object.freeze({ ...daemonParsers, ...feedParsers, ...banParsers, ...whitelistParsers });

/** Every command name the daemon understands (for help texts and completion). */
export const COMMAND_NAMES: readonly string[] = Object.freeze(Object.keys(PARSERS).sort());

export interface ControlRequest {
  v: number;
  id: string | number;
  command: ControlCommand;
}

export interface ControlResponse {
  v: number;
  id: string | number | null;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

/** One frame of a streamed answer (trace): sent after the ok response, until the client disconnects. */
export interface StreamFrame {
  v: number;
  id: string | number;
  event: unknown;
}

/** Parses and validates one request line; returns the request or an error response. */
export function parseRequest(line: string): ControlRequest | ControlResponse {
  if (line.length > MAX_REQUEST_BYTES) return errorResponse(null, 'WATCHER_E_CONTROL', `request longer than ${MAX_REQUEST_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return errorResponse(null, 'WATCHER_E_CONTROL', 'request is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return errorResponse(null, 'WATCHER_E_CONTROL', 'request must be a JSON object');
  }
  const r = raw as Record<string, unknown>;
  const id = (typeof r.id === 'string' && r.id.length <= 64) || (typeof r.id === 'number' && Number.isFinite(r.id)) ? r.id : null;
  if (r.v !== PROTOCOL_VERSION) return errorResponse(id, 'WATCHER_E_CONTROL', `unsupported protocol version ${JSON.stringify(r.v) ?? 'none'} (this daemon speaks ${PROTOCOL_VERSION})`);
  if (id === null) return errorResponse(null, 'WATCHER_E_CONTROL', 'request needs an id (string or number)');
  const parse = typeof r.cmd === 'string' && Object.hasOwn(PARSERS, r.cmd) ? PARSERS[r.cmd] : undefined;
  if (!parse) return errorResponse(id, 'WATCHER_E_CONTROL', `unknown command ${String(JSON.stringify(r.cmd)).slice(0, 80)}`);
  const f = parse(r);
  return f.ok ? { v: PROTOCOL_VERSION, id, command: f.value } : errorResponse(id, 'WATCHER_E_CONTROL', f.error);
}

export function isResponse(x: ControlRequest | ControlResponse): x is ControlResponse {
  return 'ok' in x;
}

export function errorResponse(id: string | number | null, code: string, message: string): ControlResponse {
  return { v: PROTOCOL_VERSION, id, ok: false, error: { code, message } };
}

export function okResponse(id: string | number, result: unknown): ControlResponse {
  return { v: PROTOCOL_VERSION, id, ok: true, result };
}
