// The runtime whitelist `<state_dir>/whitelist.runtime`: entries added by `watcherctl whitelist add`,
// in list format with a comment saying who added them and when. Owned by Watcher (the control path
// writes it, atomically: temp file + rename); the whitelist collector reads it like any list file.
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseIp, formatIp } from '../core/ip.js';

export interface RuntimeWhitelistEntry {
  entry: string;
  /** the comment after the entry: who, when, why */
  comment: string;
}

const HEADER = '# Watcher runtime whitelist: written by `watcherctl whitelist add|remove`. Edit with watcherctl, not by hand.\n';

export function runtimeWhitelistPath(stateDir: string): string {
  return path.join(stateDir, 'whitelist.runtime');
}

/** The entries in file order; lines that are not entries (comments, garbage) are skipped. */
export function readRuntimeWhitelist(file: string): RuntimeWhitelistEntry[] {
  if (!existsSync(file)) return [];
  const out: RuntimeWhitelistEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([^\s#]+)\s*(?:#\s?(.*))?$/.exec(line);
    if (!m) continue;
    const r = parseIp(m[1]!);
    if (r.ok) out.push({ entry: formatIp(r.ip), comment: (m[2] ?? '').trim() });
  }
  return out;
}

function write(file: string, entries: readonly RuntimeWhitelistEntry[]): void {
  const body = entries.map((e) => (e.comment ? `${e.entry}  # ${e.comment}` : e.entry)).join('\n');
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, HEADER + body + (body ? '\n' : ''), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Adds (or re-comments) `entry` (canonical); returns false when it was already there with that comment. */
export function addRuntimeWhitelist(file: string, entry: string, comment: string): boolean {
  const entries = readRuntimeWhitelist(file);
  const i = entries.findIndex((e) => e.entry === entry);
  if (i >= 0 && entries[i]!.comment === comment) return false;
  if (i >= 0) entries[i] = { entry, comment };
  else entries.push({ entry, comment });
  write(file, entries);
  return true;
}

/** Removes `entry` (canonical); returns false when it was not there. */
export function removeRuntimeWhitelist(file: string, entry: string): boolean {
  const entries = readRuntimeWhitelist(file);
  const kept = entries.filter((e) => e.entry !== entry);
  if (kept.length === entries.length) return false;
  write(file, kept);
  return true;
}
