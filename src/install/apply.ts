// Applies a prep plan under a root directory (I/O): creates what is missing, updates what prep wrote
// before and nobody changed since, and leaves alone every file it did not write or the admin edited.
// With dryRun it only reports what it would do. Keeps the manifest for unprep.
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST } from './layout.js';
import { entryFor, recordEntry, serializeManifest, sha256, type Manifest } from './manifest.js';
import type { Action } from './plan.js';
import { readManifest, under } from './rooted.js';

/**
 * kept-config: configuration (role config) is written once; later runs never rewrite it, so a second
 * prep from another SSH session does not drop the first session's address from the whitelist.
 */
export type Outcome = 'create' | 'update' | 'unchanged' | 'kept-config' | 'kept-foreign' | 'kept-edited';

export interface Step {
  path: string;
  what: string;
  outcome: Outcome;
}

export interface ApplyResult {
  steps: Step[];
}

type Existing = { type: 'none' } | { type: 'dir' } | { type: 'file'; sha256: string } | { type: 'symlink'; target: string } | { type: 'other' };

function existing(p: string): Existing {
  let st;
  try {
    st = lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { type: 'none' };
    throw e;
  }
  if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(p) };
  if (st.isDirectory()) return { type: 'dir' };
  if (st.isFile()) return { type: 'file', sha256: sha256(readFileSync(p)) };
  return { type: 'other' };
}

export function applyPlan(root: string, actions: readonly Action[], opts: { dryRun: boolean }): ApplyResult {
  const manifest = readManifest(root);
  const before = serializeManifest(manifest);
  const steps: Step[] = [];
  const dry = opts.dryRun;

  /** mkdir -p that records every directory it creates, so unprep can remove it again */
  const ensureDir = (p: string, mode: number): boolean => {
    const cur = existing(under(root, p));
    if (cur.type === 'dir') return false;
    if (cur.type !== 'none') throw new Error(`${under(root, p)} exists and is not a directory`);
    const parent = path.dirname(p);
    if (parent !== p) ensureDir(parent, 0o755);
    if (!dry) {
      mkdirSync(under(root, p), { mode });
      chmodSync(under(root, p), mode); // mkdir's mode is filtered by the umask
    }
    recordEntry(manifest, { type: 'dir', path: p });
    return true;
  };

  // The manifest is written even when a step fails half-way, so unprep knows what was created.
  const saveManifest = () => {
    const text = serializeManifest(manifest);
    if (dry || text === before) return;
    ensureDir(path.dirname(MANIFEST), 0o700);
    writeAtomically(under(root, MANIFEST), text, 0o600);
  };
  try {
    for (const a of actions) {
      const target = under(root, a.path);
      if (a.kind === 'dir') {
        steps.push({ path: a.path, what: 'directory', outcome: ensureDir(a.path, a.mode) ? 'create' : 'unchanged' });
        continue;
      }
      const cur = existing(target);
      const mine = entryFor(manifest, a.path);
      if (a.kind === 'file') {
        const want = sha256(a.content);
        let outcome: Outcome;
        if (cur.type === 'none') outcome = 'create';
        else if (cur.type === 'file' && mine?.type === 'file' && cur.sha256 === want) outcome = 'unchanged';
        else if (cur.type === 'file' && mine?.type === 'file' && cur.sha256 === mine.sha256) outcome = a.role === 'config' ? 'kept-config' : 'update';
        else outcome = mine ? 'kept-edited' : 'kept-foreign';
        if (outcome === 'create' || outcome === 'update') {
          ensureDir(path.dirname(a.path), 0o755);
          if (!dry) writeAtomically(target, a.content, a.mode);
          recordEntry(manifest, { type: 'file', path: a.path, sha256: want, role: a.role });
        }
        steps.push({ path: a.path, what: a.what, outcome });
        continue;
      }
      // symlink
      let outcome: Outcome;
      if (cur.type === 'none') outcome = 'create';
      else if (cur.type === 'symlink' && cur.target === a.target) outcome = mine ? 'unchanged' : 'kept-foreign';
      else if (cur.type === 'symlink' && mine?.type === 'symlink' && cur.target === mine.target) outcome = 'update';
      else outcome = mine ? 'kept-edited' : 'kept-foreign';
      if (outcome === 'create' || outcome === 'update') {
        ensureDir(path.dirname(a.path), 0o755);
        if (!dry) {
          if (outcome === 'update') unlinkSync(target);
          symlinkSync(a.target, target);
        }
        recordEntry(manifest, { type: 'symlink', path: a.path, target: a.target });
      }
      steps.push({ path: a.path, what: a.what, outcome });
    }
  } catch (e) {
    try {
      saveManifest();
    } catch {
      /* the first error is the one to report */
    }
    throw e;
  }
  saveManifest();
  return { steps };
}

/** temp file + rename: a crash leaves the old or the new file, never half of one */
export function writeAtomically(file: string, content: string, mode: number): void {
  const tmp = `${file}.prep-tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

const VERB: Record<Outcome, [string, string]> = {
  create: ['created', 'would create'],
  update: ['updated', 'would update'],
  unchanged: ['unchanged', 'unchanged'],
  'kept-config': ['unchanged (configuration is written only once)', 'unchanged (configuration is written only once)'],
  'kept-foreign': ['left alone (exists, not written by prep)', 'would leave alone (exists, not written by prep)'],
  'kept-edited': ['left alone (changed since prep wrote it)', 'would leave alone (changed since prep wrote it)'],
};

export function formatSteps(steps: readonly Step[], dryRun: boolean): string {
  return steps.map((s) => `  ${VERB[s.outcome][dryRun ? 1 : 0].padEnd(10)} ${s.path} (${s.what})`).join('\n');
}
