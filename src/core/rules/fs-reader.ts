// The only file access of the rule loader: list a directory's rule files and read one. Kept apart so
// everything else in src/core/rules stays pure and testable without a file system.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RuleReader {
  /** the *.yaml / *.yml files of dir (dotfiles skipped) in plain code-unit order; [] when dir is missing */
  list(dir: string): string[];
  read(file: string): string;
}

export const fsRuleReader: RuleReader = {
  list(dir) {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && /\.ya?ml$/.test(e.name))
        .map((e) => e.name);
    } catch (err) {
      // no directory means no rules there; any other failure is the caller's problem to report
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.sort().map((name) => join(dir, name));
  },
  read(file) {
    return readFileSync(file, 'utf8');
  },
};

/** The package's rules/ directory: three levels above src/core/rules when run from source, four from dist. */
export function shippedRulesDir(): string {
  for (const rel of ['../../../rules', '../../../../rules']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'README.md'))) return dir;
  }
  return fileURLToPath(new URL('../../../rules', import.meta.url));
}
