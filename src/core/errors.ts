// The registry of Watcher's coded errors: every expected failure has a code, a message and, where
// input is involved, the file:line it came from. Never throw a bare Error for an expected failure.

export const ErrorCodes = {
  WATCHER_E_CONFIG: 'configuration is invalid',
  WATCHER_E_LIST: 'list entry is invalid',
  WATCHER_E_IO: 'file could not be read or written',
  WATCHER_E_FW_MISSING: 'firewall tool or kernel feature is missing',
  WATCHER_E_FW_COMMAND: 'firewall command failed',
  WATCHER_E_FW_DRIFT: 'firewall differs from what Watcher applied',
  WATCHER_E_SUPERVISOR: 'supervisor gave up',
  WATCHER_E_CONTROL: 'control request is invalid',
  WATCHER_E_USAGE: 'command line is invalid',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** Where in an input file a problem is. */
export interface Location {
  file: string;
  line?: number;
}

export function formatLocation(loc: Location | undefined): string {
  if (!loc) return '';
  return loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file;
}

/** An expected failure: carries its code, optional location and a hint on what to do. */
export class WatcherError extends Error {
  readonly code: ErrorCode;
  readonly location: Location | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'WatcherError';
    this.code = code;
    this.location = opts.location;
    this.hint = opts.hint;
  }

  /** One line for an operator: "file:line: message (code) — hint". */
  describe(): string {
    const where = formatLocation(this.location);
    const hint = this.hint ? ` — ${this.hint}` : '';
    return `${where ? where + ': ' : ''}${this.message} (${this.code})${hint}`;
  }
}

/** A non-fatal problem found in input, reported and skipped. */
export interface Problem {
  code: ErrorCode;
  message: string;
  location?: Location;
}

export function describeProblem(p: Problem): string {
  const where = formatLocation(p.location);
  return `${where ? where + ': ' : ''}${p.message} (${p.code})`;
}
