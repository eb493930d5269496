// The shape of a rule as the engine sees it after loading: user-editable data, already validated.
// Pure data; the YAML form is described in rules/README.md and checked by schema.ts.
import type { Location } from '../errors.js';

/**
 * Where a rule looks and where the address comes from:
 * - `message`: any line that is not an access-log line; the address is the `<IP>` the pattern captures;
 * - `access`: access-log lines (LogLine.http set); the address is the line's client field;
 * - `client`: other lines whose header parser read the client from where only the server writes it
 *   (Apache error logs: `[client ...]`); the address is LogLine.client.
 */
export const RULE_SOURCES = ['message', 'access', 'client'] as const;
export type RuleSource = (typeof RULE_SOURCES)[number];

/** A line the rule must match, with what the detection must say. */
export interface MatchSample {
  /** the message (text after the header), or for access rules the access message */
  line: string;
  /** the expected address, normalised */
  ip: string;
  /** expected user; absent means the detection names none */
  user?: string;
  /** expected vhost; for access/client rules also the vhost the line carries */
  vhost?: string;
  /** access/client rules: the client field of the line (default: ip) */
  client?: string;
}

export interface RuleSamples {
  match: MatchSample[];
  /** lines that no rule of the module may match */
  nomatch: string[];
}

export interface Rule {
  id: string;
  /** syslog programs the rule applies to; '*' applies to every program */
  programs: string[];
  /** the pattern as written, placeholders unexpanded */
  pattern: string;
  event: string;
  /** affairs one matching line counts */
  weight: number;
  source: RuleSource;
  /** disabled rules are loaded and their samples checked, but never matched */
  enabled: boolean;
  samples: RuleSamples;
  /** where the rule (or the override that last changed it) is written */
  location?: Location;
}
