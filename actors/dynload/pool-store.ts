// Writes a dynloader's last good list to <state>/loadpool/<name>.list atomically (temp file, fsync,
// rename), so the master load at boot never sees half a list; reads the header back at start.
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { formatPoolHeader, parsePoolHeader, type PoolMeta } from '../../src/core/pool-header.js';

export function poolFile(dir: string, name: string): string {
  return path.join(dir, `${name}.list`);
}

export async function storePool(dir: string, name: string, meta: PoolMeta, body: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const final = poolFile(dir, name);
  const tmp = `${final}.tmp-${process.pid}`;
  const header = formatPoolHeader(name, meta)
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(`${header}\n${body}`);
    await fh.sync(); // the rename must not publish a file whose data is still in the page cache only
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, final);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** The header of the current pool file, or null when there is none (first run) or it is unreadable. */
export async function readPoolMeta(dir: string, name: string): Promise<PoolMeta | null> {
  try {
    const fh = await open(poolFile(dir, name), 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return parsePoolHeader(buf.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}


/** readPoolMeta for building child specs at start and reload (one 4 KiB read, no await possible there). */
export function readPoolMetaSync(dir: string, name: string): PoolMeta | null {
  try {
    const fd = openSync(poolFile(dir, name), 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return parsePoolHeader(buf.subarray(0, n).toString('utf8'));
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
