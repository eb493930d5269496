// The journalctl command line for a journal source: where to read, from which cursor, which
// entries. Pure; values go to argv as they are (no shell), field names are checked.

export interface JournalSelection {
  /** read this journal file only (tests, copies) */
  file?: string;
  /** read the journal files in this directory (containers, tests) */
  directory?: string;
  /** _SYSTEMD_UNIT values, e.g. "ssh.service" */
  units?: string[];
  /** SYSLOG_IDENTIFIER values, e.g. "sshd" */
  identifiers?: string[];
  /** further match groups in journalctl's terms: FIELD=value strings, one group per inner array */
  matches?: string[][];
}

const FIELD = /^[A-Z0-9_]+=[^\n]+$/;

/** Where the follow process starts: after a saved cursor, or at the very beginning (empty journal). */
export type JournalStart = { after: string } | { from: 'beginning' };

/** Options selecting the journal files: shared by the follow process and the tail query. */
export function journalLocation(sel: JournalSelection): string[] {
  const args: string[] = [];
  if (sel.file !== undefined) args.push(`--file=${sel.file}`);
  if (sel.directory !== undefined) args.push(`--directory=${sel.directory}`);
  return args;
}

/**
 * Match arguments. Within one group journalctl ORs values of the same field and ANDs different
 * fields; "+" ORs groups. Units and identifiers each form their own group: an entry is selected if
 * it comes from any listed unit OR carries any listed identifier.
 */
export function journalMatches(sel: JournalSelection): string[] {
  const groups: string[][] = [];
  if (sel.units?.length) groups.push(sel.units.map((u) => `_SYSTEMD_UNIT=${u}`));
  if (sel.identifiers?.length) groups.push(sel.identifiers.map((i) => `SYSLOG_IDENTIFIER=${i}`));
  for (const g of sel.matches ?? []) if (g.length > 0) groups.push(g);
  const args: string[] = [];
  for (const g of groups) {
    for (const m of g) if (!FIELD.test(m)) throw new RangeError(`invalid journal match ${JSON.stringify(m)} (expected FIELD=value)`);
    if (args.length > 0) args.push('+');
    args.push(...g);
  }
  return args;
}

/** journalctl arguments for following from start. */
export function journalFollowArgs(sel: JournalSelection, start: JournalStart): string[] {
  const from = 'after' in start ? [`--after-cursor=${start.after}`] : ['--no-tail'];
  return ['--follow', '--output=json', '--no-pager', '--quiet', ...from, ...journalLocation(sel), ...journalMatches(sel)];
}

/** journalctl arguments printing the very last entry (any entry: the position, not a match). */
export function journalTailArgs(sel: JournalSelection): string[] {
  return ['--lines=1', '--output=json', '--no-pager', '--quiet', ...journalLocation(sel)];
}
