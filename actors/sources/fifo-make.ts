// Makes sure a path is a named pipe Watcher may read: creates it (mkfifo -m 0600) when missing,
// narrows a wider mode to 0600, and refuses anything else at the path. Never deletes anything.
import { spawn } from 'node:child_process';
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import { WatcherError } from '../../src/core/errors.js';

function kindOf(st: Stats): string {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'non-FIFO file';
}

function notAFifo(path: string, st: Stats): WatcherError {
  return new WatcherError('WATCHER_E_IO', `${path} exists and is a ${kindOf(st)}, not a FIFO: refusing to read it as a log pipe`, {
    hint: 'remove it or configure another FIFO path; Watcher creates the FIFO itself (mode 0600)',
  });
}

function mkfifo(path: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('mkfifo', ['-m', '0600', '--', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: null, stderr: err.message }));
    child.on('close', (code) => resolve({ code, stderr: stderr.trim() }));
  });
}

const statOrNull = (path: string): Promise<Stats | null> =>
  stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });

/** Returns the FIFO's inode. Throws WatcherError WATCHER_E_IO when the path cannot be a FIFO. */
export async function ensureFifo(path: string, notice: (msg: string) => void): Promise<number> {
  let st = await statOrNull(path);
  if (st === null) {
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    const made = await mkfifo(path);
    st = await statOrNull(path);
    // Someone else may have made it meanwhile: only the result matters.
    if (st === null) {
      throw new WatcherError('WATCHER_E_IO', `cannot create the FIFO ${path}: ${made.stderr || `mkfifo exited with ${made.code}`}`, { location: { file: path } });
    }
    if (made.code === 0) notice(`created FIFO ${path} (mode 0600)`);
  }
  if (!st.isFIFO()) throw notAFifo(path, st);
  if ((st.mode & 0o777) !== 0o600) {
    await chmod(path, 0o600);
    notice(`FIFO ${path} had mode ${(st.mode & 0o777).toString(8)}: set to 0600`);
  }
  return st.ino;
}
