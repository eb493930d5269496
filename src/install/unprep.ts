// Removes what `watcher prep` installed, driven by its manifest (I/O): a file only while it still
// has the checksum prep wrote (config files the admin edited go only with --purge), a symlink only
// while it points where prep pointed it, a directory only when empty. Reports everything it keeps.
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, unlinkSync } from 'node:fs';
import { CONFIG_DIR, MANIFEST } from './layout.js';
import { serializeManifest, sha256, type ManifestEntry } from './manifest.js';
import { writeAtomically } from './apply.js';
import { readManifest, under } from './rooted.js';

export type UnprepOutcome = 'remove' | 'gone' | 'kept-edited' | 'kept-not-empty' | 'kept-replaced';

export interface UnprepStep {
  path: string;
  outcome: UnprepOutcome;
}

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function judge(root: string, e: ManifestEntry, purge: boolean): UnprepOutcome {
  const p = under(root, e.path);
  const st = lstatOrNull(p);
  if (st === null) return 'gone';
  switch (e.type) {
    case 'file': {
      if (!st.isFile()) return 'kept-replaced';
      if (sha256(readFileSync(p)) === e.sha256) return 'remove';
      const purgeable = purge && e.role === 'config' && e.path.startsWith(`${CONFIG_DIR}/`);
      return purgeable ? 'remove' : 'kept-edited';
    }
    case 'symlink':
      return st.isSymbolicLink() && readlinkSync(p) === e.target ? 'remove' : 'kept-replaced';
    case 'dir':
      if (!st.isDirectory()) return 'kept-replaced';
      return 'remove'; // emptiness is checked when its turn comes, after its contents went
  }
}

export function unprep(root: string, opts: { dryRun: boolean; purge: boolean }): { steps: UnprepStep[]; manifestFound: boolean } {
  const manifest = readManifest(root);
  if (manifest.entries.length === 0) return { steps: [], manifestFound: false };
  const steps: UnprepStep[] = [];
  const kept: ManifestEntry[] = [];
  /** paths removed so far (dry runs pretend), so emptiness checks see the end state */
  const removed = new Set<string>();

  const nonDirs = manifest.entries.filter((e) => e.type !== 'dir').reverse();
  for (const e of nonDirs) {
    const outcome = judge(root, e, opts.purge);
    if (outcome === 'remove') {
      if (!opts.dryRun) unlinkSync(under(root, e.path));
      removed.add(e.path);
    } else if (outcome !== 'gone') kept.push(e);
    steps.push({ path: e.path, outcome });
  }
  // The manifest stays (and with it its directory) while it lists files that were kept, so a later
  // `unprep --purge` still knows them; directories kept for other files' sake need no record.
  const manifestStays = kept.length > 0;
  if (!manifestStays) removed.add(MANIFEST);
  // Deepest directories first, so a parent is empty once its children went.
  const dirs = manifest.entries.filter((e) => e.type === 'dir').sort((a, b) => b.path.length - a.path.length);
  for (const e of dirs) {
    let outcome = judge(root, e, opts.purge);
    if (outcome === 'remove') {
      const left = readdirSync(under(root, e.path)).filter((n) => !removed.has(`${e.path}/${n}`));
      if (left.length > 0) outcome = 'kept-not-empty';
    }
    if (outcome === 'remove') {
      if (!opts.dryRun) {
        if (e.path === dirOf(MANIFEST)) unlinkManifest(root);
        rmdirSync(under(root, e.path));
      }
      removed.add(e.path);
    } else if (outcome !== 'gone' && manifestStays) kept.push(e);
    steps.push({ path: e.path, outcome });
  }
  if (!opts.dryRun) {
    // Whatever is kept stays in the manifest, so a later `unprep --purge` still knows it.
    if (manifestStays) writeAtomically(under(root, MANIFEST), serializeManifest({ version: 1, entries: manifest.entries.filter((e) => kept.includes(e)) }), 0o600);
    else if (lstatOrNull(under(root, MANIFEST))) unlinkManifest(root);
  }
  return { steps, manifestFound: true };
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/'));

function unlinkManifest(root: string): void {
  try {
    unlinkSync(under(root, MANIFEST));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

const VERB: Record<UnprepOutcome, [string, string]> = {
  remove: ['removed', 'would remove'],
  gone: ['already gone', 'already gone'],
  'kept-edited': ['KEPT: changed since prep wrote it (unprep --purge removes edited files in /etc/watcher)', 'would keep: changed since prep wrote it'],
  'kept-not-empty': ['kept: directory not empty', 'would keep: directory not empty'],
  'kept-replaced': ['KEPT: replaced by something prep did not write', 'would keep: replaced by something prep did not write'],
};

export function formatUnprep(steps: readonly UnprepStep[], dryRun: boolean): string {
  return steps.map((s) => `  ${VERB[s.outcome][dryRun ? 1 : 0]}: ${s.path}`).join('\n');
}
