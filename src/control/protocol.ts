// The control protocol spoken on the Unix socket: newline-delimited JSON requests and responses,
// each with a version field. Pure: parsing and validation only.

export const PROTOCOL_VERSION = 1;
/** A request line longer than this is refused (and the connection closed). */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type ControlCommand =
  /** the actor tree, firewall and load state */
  | { cmd: 'status' }
  /** re-read the configuration and re-apply lists and load pool (SIGHUP does the same) */
  | { cmd: 'reload' }
  /** stop the daemon; flush: also remove everything Watcher put into the firewall */
  | { cmd: 'stop'; flush: boolean }
  /** feed log lines into a running module exactly as if they came from its source */
  | { cmd: 'inject'; module: 'LG' | 'MX' | 'MB' | 'WB'; lines: string[] }
  /** run one dynloader now (name), or every enabled one (no name, e.g. from cron); a busy one coalesces */
  | { cmd: 'dynload'; name?: string }
  /** per dynloader: last attempt, last success, entries, age, next run, last error */
  | { cmd: 'dynload-status' };

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

/** Parses and validates one request line; returns the request or an error response. */
export function parseRequest(line: string): ControlRequest | ControlResponse {
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
  const id = typeof r.id === 'string' || typeof r.id === 'number' ? r.id : null;
  if (r.v !== PROTOCOL_VERSION) return errorResponse(id, 'WATCHER_E_CONTROL', `unsupported protocol version ${String(r.v)} (this daemon speaks ${PROTOCOL_VERSION})`);
  if (id === null) return errorResponse(null, 'WATCHER_E_CONTROL', 'request needs an id (string or number)');
  switch (r.cmd) {
    case 'status':
    case 'reload':
      return { v: PROTOCOL_VERSION, id, command: { cmd: r.cmd } };
    case 'stop':
      return { v: PROTOCOL_VERSION, id, command: { cmd: 'stop', flush: r.flush === true } };
    case 'inject': {
      if (r.module !== 'LG' && r.module !== 'MX' && r.module !== 'MB' && r.module !== 'WB') {
        return errorResponse(id, 'WATCHER_E_CONTROL', 'inject needs module LG, MX, MB or WB');
      }
      if (!Array.isArray(r.lines) || !r.lines.every((l) => typeof l === 'string')) {
        return errorResponse(id, 'WATCHER_E_CONTROL', 'inject needs lines: an array of strings');
      }
      return { v: PROTOCOL_VERSION, id, command: { cmd: 'inject', module: r.module, lines: r.lines as string[] } };
    }
    case 'dynload':
      if (r.name === undefined) return { v: PROTOCOL_VERSION, id, command: { cmd: 'dynload' } };
      if (typeof r.name !== 'string' || !/^[A-Za-z0-9_-]{1,20}$/.test(r.name)) {
        return errorResponse(id, 'WATCHER_E_CONTROL', 'dynload needs a dynloader name (1-20 letters, digits, "_" or "-")');
      }
      return { v: PROTOCOL_VERSION, id, command: { cmd: 'dynload', name: r.name } };
    case 'dynload-status':
      return { v: PROTOCOL_VERSION, id, command: { cmd: 'dynload-status' } };
    default:
      return errorResponse(id, 'WATCHER_E_CONTROL', `unknown command ${JSON.stringify(r.cmd)}`);
  }
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
