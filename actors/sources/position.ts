// What a file source remembers: which file (inode plus a hash of its first line, since a replaced
// file can get the same inode number) and the byte offset just after the last handled line.
import { createHash } from 'node:crypto';
import type { ValueStore } from './stores.js';

export interface Position {
  inode: number;
  /** byte offset just after the last line handed to the consumer */
  offset: number;
  /** firstLineHash() of the file; '' while unknown (only meaningful when offset > 0) */
  firstLineHash: string;
}

export type PositionStore = ValueStore<Position>;

/** How much of a file's head identifies it: the first line, or its first HEAD_BYTES if longer. */
export const HEAD_BYTES = 4096;

/**
 * Hash of the first line of a file given its first HEAD_BYTES bytes (fewer if the file is shorter);
 * null while the first line is still incomplete (it could change).
 */
export function firstLineHash(head: Uint8Array): string | null {
  const nl = head.indexOf(10);
  let end: number;
  if (nl >= 0) end = nl;
  else if (head.length >= HEAD_BYTES) end = HEAD_BYTES;
  else return null;
  return createHash('sha256').update(head.subarray(0, end)).digest('hex').slice(0, 32);
}
