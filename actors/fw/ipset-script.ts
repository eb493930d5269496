// Renders what the ipset backend feeds to `ipset restore` and to the interactive `ipset -` session.
// Pure: no I/O, no clock. Every line that names an entry passes through checkEntry first.
import { sourceTag, type EntryOp, type Family, type SetEntries, type SourceName } from '../../src/core/fw-plan.js';
import { WatcherError } from '../../src/core/errors.js';

/** Every ipset Watcher owns starts with this; teardown and the master load destroy stale ones by it. */
export const SET_PREFIX = 'wt-';
const TEMP_SUFFIX = '-t';
/** The kernel's limit (IPSET_MAXNAMELEN 32 including the NUL). */
export const MAX_SET_NAME = 31;
/** Lines per string chunk: big enough to keep the array short, small enough to stay off V8's large-string paths. */
const CHUNK_LINES = 4096;

export function setName(source: SourceName, family: Family): string {
  const name = `${SET_PREFIX}${sourceTag(source)}-${family}`;
  // The temporary name is the longest one we ever use, so check that one.
  if (tempName(name).length > MAX_SET_NAME) {
    throw new WatcherError('WATCHER_E_CONFIG', `source ${source} gives ipset name ${tempName(name)}, longer than ${MAX_SET_NAME}`);
  }
  return name;
}

export function tempName(name: string): string {
  return `${name}${TEMP_SUFFIX}`;
}

export function entriesOf(entries: SetEntries, family: Family): number {
  return family === 4 ? entries.v4.length + entries.v4nets.length : entries.v6.length + entries.v6nets.length;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * maxelem leaves at least 65,536 free slots for live bans (maxelem costs no memory up front);
 * hashsize starts at about half the count so a big load never rehashes (measured: a 1M load from the
 * default 1024 buckets resizes ten times and took 3.5-4.6 s, from 524,288 buckets 2.8-3.6 s).
 */
export function sizing(count: number): { hashsize: number; maxelem: number } {
  return { hashsize: nextPow2(Math.max(1024, Math.ceil(count / 2))), maxelem: nextPow2(count + 65_536) };
}

export function createLine(name: string, family: Family, count: number): string {
  const { hashsize, maxelem } = sizing(count);
  return `create ${name} hash:net family ${family === 4 ? 'inet' : 'inet6'} hashsize ${hashsize} maxelem ${maxelem}\n`;
}

// Canonical addresses and CIDRs only: anything else (spaces, newlines, quotes) could smuggle a second
// ipset command into a restore script or the interactive session.
const ENTRY4 = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/;
const ENTRY6 = /^[0-9a-fA-F:.]{2,45}(\/\d{1,3})?$/;

export function checkEntry(entry: string, family: Family): string {
  if (!(family === 4 ? ENTRY4 : ENTRY6).test(entry) || (family === 6) !== entry.includes(':')) {
    throw new WatcherError('WATCHER_E_LIST', `not a canonical IPv${family} address or network: ${JSON.stringify(entry)}`);
  }
  return entry;
}

/**
 * The restore script that fills a fresh temporary set (for `ipset -exist restore`, so the destroy of a
 * left-over temporary set is a no-op when there is none). Returned as chunks for Exec.run's array input.
 */
export function renderLoad(name: string, family: Family, entries: SetEntries): (string | Buffer)[] {
  const tmp = tempName(name);
  const chunks: (string | Buffer)[] = [`destroy ${tmp}\n${createLine(tmp, family, entriesOf(entries, family))}`];
  const prefix = `add ${tmp} `;
  if (family === 4) {
    const v4 = entries.v4;
    const bytes = Buffer.from(prefix);
    for (let start = 0; start < v4.length; start += CHUNK_LINES) chunks.push(v4Lines(bytes, v4, start, Math.min(v4.length, start + CHUNK_LINES)));
    pushStrings(chunks, prefix, entries.v4nets, 4);
  } else {
    pushStrings(chunks, prefix, entries.v6, 6);
    pushStrings(chunks, prefix, entries.v6nets, 6);
  }
  return chunks;
}

/** The decimal digits of 0..255, as bytes. */
const OCTETS: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => Buffer.from(String(i)));

/**
 * `<prefix><a.b.c.d>\n` lines written as bytes, the same text formatV4 gives: for 1M addresses this takes
 * 55-80 ms, where template strings took ~480 ms plus ~140 ms to encode them for the pipe (measured),
 * all on the event loop ahead of a ~3 s restore.
 */
function v4Lines(prefix: Uint8Array, v4: Uint32Array, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe((end - start) * (prefix.length + 16));
  let p = 0;
  for (let i = start; i < end; i++) {
    const v = v4[i]!;
    buf.set(prefix, p);
    p += prefix.length;
    p = putOctet(buf, p, v >>> 24, 46);
    p = putOctet(buf, p, (v >>> 16) & 255, 46);
    p = putOctet(buf, p, (v >>> 8) & 255, 46);
    p = putOctet(buf, p, v & 255, 10);
  }
  return buf.subarray(0, p);
}

function putOctet(buf: Buffer, p: number, octet: number, then: number): number {
  const digits = OCTETS[octet]!;
  for (let k = 0; k < digits.length; k++) buf[p++] = digits[k]!;
  buf[p++] = then;
  return p;
}

function pushStrings(chunks: (string | Buffer)[], prefix: string, list: readonly string[], family: Family): void {
  for (let start = 0; start < list.length; start += CHUNK_LINES) {
    const end = Math.min(list.length, start + CHUNK_LINES);
    let s = '';
    for (let i = start; i < end; i++) s += prefix + checkEntry(list[i]!, family) + '\n';
    chunks.push(s);
  }
}

/** One loaded temporary set to put live. */
export interface SwapStep {
  name: string;
  family: Family;
  count: number;
  /** whether the live set exists already (else it is created empty, then swapped) */
  exists: boolean;
}

/**
 * Puts loaded temporary sets live: each swap is atomic for its set, and all swaps run back to back in
 * one process so an entry moving between two sets is never absent from both for more than microseconds.
 */
export function renderSwap(steps: readonly SwapStep[]): string {
  let s = '';
  for (const st of steps) {
    if (!st.exists) s += createLine(st.name, st.family, st.count);
    s += `swap ${tempName(st.name)} ${st.name}\ndestroy ${tempName(st.name)}\n`;
  }
  return s;
}

export function renderDestroy(names: readonly string[]): string {
  return names.map((n) => `destroy ${n}\n`).join('');
}

/** Lines for `ipset -exist restore` (the global -exist makes add-of-present and del-of-absent no-ops). */
export function renderOpsRestore(ops: readonly EntryOp[]): string[] {
  const out: string[] = [];
  for (let start = 0; start < ops.length; start += CHUNK_LINES) {
    let s = '';
    for (const o of ops.slice(start, start + CHUNK_LINES)) s += `${o.op} ${setName(o.source, o.family)} ${checkEntry(o.entry, o.family)}\n`;
    out.push(s);
  }
  return out;
}

/** Lines for the interactive session, where -exist goes on each line. */
export function renderOpsInteractive(ops: readonly EntryOp[]): string[] {
  return ops.map((o) => `${o.op} -exist ${setName(o.source, o.family)} ${checkEntry(o.entry, o.family)}`);
}
