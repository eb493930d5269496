// Where a file source starts after a restart: the pure decision from the saved position and what the
// path holds now, and the search for the file the saved position points into after a rotation.
// Never opens anything for writing.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileTrack } from './file-track.js';
import type { Position } from './position.js';

export type ResumeDecision =
  /** no saved position: the very first run starts at the end */
  | { kind: 'end' }
  /** the same file: continue after the last handled line */
  | { kind: 'resume'; offset: number }
  /** the same inode but shorter than the position (copytruncate while stopped): from 0 */
  | { kind: 'truncated' }
  /** the same inode number but another first line (file replaced): from 0 */
  | { kind: 'replaced' }
  /** another inode: the saved file was rotated away; finish it if found, then this one from 0 */
  | { kind: 'rotated' };

export interface FileFacts {
  inode: number;
  size: number;
  /** firstLineHash of the file now, null while its first line is incomplete */
  hash: string | null;
}

export function decideResume(saved: Position | null, now: FileFacts): ResumeDecision {
  if (saved === null) return { kind: 'end' };
  if (saved.inode !== now.inode) return { kind: 'rotated' };
  if (saved.offset === 0) return { kind: 'resume', offset: 0 };
  if (now.size < saved.offset) return { kind: 'truncated' };
  if (saved.firstLineHash !== '' && now.hash !== saved.firstLineHash) return { kind: 'replaced' };
  return { kind: 'resume', offset: saved.offset };
}

/** Compressed rotations cannot be resumed in; everything else named like path.* or path-* may be it. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|Z)$/;

/**
 * The rotated file that still holds the saved position (same inode, same first line, long enough),
 * opened and positioned at the saved offset; null if it is gone or compressed.
 */
export async function findRotated(path: string, saved: Position, maxLineBytes: number): Promise<{ name: string; track: FileTrack } | null> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  for (const name of names) {
    if (name === base || !name.startsWith(base) || COMPRESSED.test(name)) continue;
    const full = join(dir, name);
    const st = await stat(full).catch(() => null);
    if (st === null || !st.isFile() || st.ino !== saved.inode || st.size < saved.offset) continue;
    const fh = await open(full, 'r').catch(() => null);
    if (fh === null) continue;
    if ((await fh.stat()).ino !== saved.inode) {
      await fh.close();
      continue;
    }
    const track = new FileTrack(fh, st.ino, maxLineBytes);
    const hash = await track.readHeadHash();
    if (saved.offset > 0 && saved.firstLineHash !== '' && hash !== saved.firstLineHash) {
      await track.close();
      continue;
    }
    track.hash = hash;
    track.startAt(saved.offset);
    return { name: full, track };
  }
  return null;
}
