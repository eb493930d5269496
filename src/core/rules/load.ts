// Loads one module's rules: shipped files from rules/<MODULE>/, then local drop-ins from
// <localDir>/<MODULE>/, parsed and merged. A bad file is reported with file:line and skipped alone.
import { join } from 'node:path';
import type { Problem } from '../errors.js';
import type { ModuleName } from '../logline/types.js';
import { fsRuleReader, shippedRulesDir, type RuleReader } from './fs-reader.js';
import { mergeRuleFiles } from './merge.js';
import { parseRuleText, type RuleFile, type RuleOrigin } from './parse.js';
import type { Rule } from './types.js';

export { shippedRulesDir };

export const DEFAULT_LOCAL_RULES_DIR = '/etc/watcher/rules.d';

export interface LoadRulesOptions {
  /** the directory holding LG/, MX/, MB/, WB/ of shipped rules; default the package's rules/ */
  shippedDir?: string;
  /** the drop-in directory holding <MODULE>/ subdirectories; default /etc/watcher/rules.d; null: none */
  localDir?: string | null;
  reader?: RuleReader;
}

export interface LoadedRules {
  /** the merged rules in first-match order, disabled ones included (compileRules skips them) */
  rules: Rule[];
  /** every problem of every file, in load order */
  problems: Problem[];
  /**
   * Each file as parsed, with the problems found in it (merge problems included). On reload, a
   * caller can put the previous version of a file with problems in its place and call
   * mergeRuleFiles again, so a broken edit keeps that file's previous rules running.
   */
  files: RuleFile[];
}

function readDir(dir: string, origin: RuleOrigin, reader: RuleReader): RuleFile[] {
  let files: string[];
  try {
    files = reader.list(dir);
  } catch (err) {
    const problem: Problem = { code: 'WATCHER_E_IO', message: `cannot read rule directory: ${errMessage(err)}`, location: { file: dir } };
    return [{ file: dir, origin, entries: [], problems: [problem] }];
  }
  return files.map((file) => {
    let text: string;
    try {
      text = reader.read(file);
    } catch (err) {
      return { file, origin, entries: [], problems: [{ code: 'WATCHER_E_IO', message: `cannot read rule file: ${errMessage(err)}`, location: { file } }] };
    }
    return parseRuleText(text, file, origin);
  });
}

export function loadModuleRules(module: ModuleName, opts: LoadRulesOptions = {}): LoadedRules {
  const reader = opts.reader ?? fsRuleReader;
  const files = readDir(join(opts.shippedDir ?? shippedRulesDir(), module), 'shipped', reader);
  const localDir = opts.localDir === undefined ? DEFAULT_LOCAL_RULES_DIR : opts.localDir;
  if (localDir !== null) files.push(...readDir(join(localDir, module), 'local', reader));
  const merged = mergeRuleFiles(files);
  // merge problems belong to the file of the entry that caused them
  for (const p of merged.problems) files.find((f) => f.file === p.location?.file)?.problems.push(p);
  for (const f of files) f.problems.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0));
  return { rules: merged.rules, problems: files.flatMap((f) => f.problems), files };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
