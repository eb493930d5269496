// The YAML shape of one rule entry, checked once at load: unknown keys and wrong types are errors.
// Every key but id is optional here: a local entry may change only some keys of an existing rule.
import { z } from 'zod';
import { RULE_SOURCES } from './types.js';

export const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const PROGRAM = /^(?:\*|[A-Za-z0-9_.@-][A-Za-z0-9_./@-]{0,63})$/;
const EVENT = /^[a-z][a-z0-9-]{0,39}$/;

const text = (what: string) => z.string({ error: `${what} must be a string (quote it)` });

const matchSample = z.strictObject({
  line: text('line'),
  ip: text('ip'),
  user: text('user').optional(),
  vhost: text('vhost').optional(),
  client: text('client').optional(),
});

export const ruleEntrySchema = z.strictObject({
  id: z.string().regex(RULE_ID, { error: '1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' }),
  enabled: z.boolean().optional(),
  programs: z
    .array(z.string().regex(PROGRAM, { error: 'a program is a syslog tag such as sshd or postfix/smtpd, or "*"' }))
    .min(1, { error: 'programs needs at least one program' })
    .optional(),
  /** one string, or a list of pieces joined without separators (for long patterns) */
  pattern: z.union([text('pattern'), z.array(text('pattern piece')).min(1)]).optional(),
  event: z.string().regex(EVENT, { error: 'event: a lower-case kind such as auth-failure or scan' }).optional(),
  weight: z.number().int({ error: 'weight must be a whole number' }).min(1).max(1000).optional(),
  source: z.enum(RULE_SOURCES).optional(),
  samples: z
    .strictObject({
      match: z.array(matchSample).optional(),
      nomatch: z.array(text('nomatch sample')).optional(),
    })
    .optional(),
});

export type RuleEntryInput = z.infer<typeof ruleEntrySchema>;

/** The top level of a rule file. */
export const ruleFileSchema = z.strictObject({
  rules: z.array(z.unknown()).optional(),
});
