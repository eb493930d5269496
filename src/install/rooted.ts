// Maps a target-system path to where it lives under --root (the only place that joins them), and
// reads the manifest from there. I/O.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST } from './layout.js';
import { emptyManifest, parseManifest, type Manifest } from './manifest.js';

export const under = (root: string, p: string): string => (root === '/' ? p : path.join(root, p));

export function readManifest(root: string): Manifest {
  const file = under(root, MANIFEST);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest();
    throw e;
  }
  return parseManifest(text, file);
}
