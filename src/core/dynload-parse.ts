// Parses a downloaded blocklist (Spamhaus DROP/DROPv6 JSON lines or legacy text, NixSpam, plain lists)
// into a collector, counting garbage and refusing bodies that are not a list at all. Pure: no I/O.
import type { EntryCollector } from './aggregate.js';
import { parseIpValue, type IpValue } from './ip.js';

export type DynloadKind = 'spamhaus-drop' | 'spamhaus-dropv6' | 'nixspam' | 'list';
export type DynloadFormat = 'spamhaus-json' | 'spamhaus-text' | 'nixspam' | 'plain';

export interface ParseLimits {
  /** 1-based whitespace-separated column of the address (plain lists) */
  column: number;
  minPrefixV4: number;
  minPrefixV6: number;
  /** more entries than this rejects the whole list (a runaway upstream must not fill the kernel) */
  maxEntries: number;
}

export interface ParseReport {
  /** entries accepted into the collector */
  entries: number;
  /** lines that are neither a comment nor an address */
  garbage: number;
  /** entries wider than the minimum prefix, dropped */
  tooWide: string[];
  /** the first few garbage lines, for the log */
  samples: string[];
}

export type ParseResult = ({ ok: true } & ParseReport) | { ok: false; reason: string };

const SAMPLES = 5;

/** The format to parse with: explicit wins; auto follows the kind and, for Spamhaus, the first byte. */
export function resolveFormat(kind: DynloadKind, format: DynloadFormat | 'auto', text: string): DynloadFormat {
  if (format !== 'auto') return format;
  if (kind === 'nixspam') return 'nixspam';
  if (kind === 'list') return 'plain';
  return text.trimStart().startsWith('{') ? 'spamhaus-json' : 'spamhaus-text';
}

/** Why a body cannot be a list at all, or null: an error page or nothing must never replace a list. */
export function notAList(text: string): string | null {
  const head = text.trimStart().slice(0, 512).toLowerCase();
  if (head === '') return 'the response is empty';
  if (head.startsWith('<') || head.includes('<html') || head.includes('<!doctype')) return 'the response is an HTML page, not a list';
  if (text.includes('\u0000')) return 'the response is binary, not a list';
  return null;
}

/** Parses the whole text; ok:false means the list must not be used (the previous one stays in force). */
export function parseDynload(text: string, format: DynloadFormat, limits: ParseLimits, into: EntryCollector): ParseResult {
  const bad = notAList(text);
  if (bad !== null) return { ok: false, reason: bad };
  const report: ParseReport = { entries: 0, garbage: 0, tooWide: [], samples: [] };
  let records = 0; // JSON: data records seen, checked against the metadata record's count
  let metadata: { records?: unknown } | null = null;
  const lines = text.split(/\r?\n|\r/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    let token: string | undefined;
    if (format === 'spamhaus-json') {
      const rec = jsonRecord(line);
      if (rec === null) token = undefined;
      else if (rec['type'] === 'metadata') {
        metadata = rec;
        continue;
      } else {
        records++;
        token = typeof rec['cidr'] === 'string' ? rec['cidr'] : undefined;
      }
      if (metadata !== null && token !== undefined) token = undefined; // data after the trailer: garbage
    } else {
      if (line.startsWith('#') || line.startsWith(';')) continue;
      const body = line.split(/[#;]/, 1)[0]!.trim();
      if (body === '') continue;
      const col = format === 'nixspam' ? 2 : format === 'spamhaus-text' ? 1 : limits.column;
      token = body.split(/\s+/)[col - 1];
    }
    const p = token === undefined ? null : parseIpValue(token);
    if (p === null || !p.ok) {
      report.garbage++;
      if (report.samples.length < SAMPLES) report.samples.push(`line ${n + 1}: ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`);
      continue;
    }
    if (tooWide(p.ip, limits)) {
      report.tooWide.push(token!);
      continue;
    }
    if (++report.entries > limits.maxEntries) {
      return { ok: false, reason: `more than ${limits.maxEntries} entries (max_entries): refused as a runaway list` };
    }
    into.add(p.ip);
  }
  if (format === 'spamhaus-json') {
    // Spamhaus ends every JSON file with a metadata record: without it the download was cut short
    if (metadata === null) return { ok: false, reason: 'the JSON list has no final metadata record: truncated' };
    if (typeof metadata.records === 'number' && metadata.records !== records) {
      return { ok: false, reason: `the metadata record announces ${metadata.records} records, ${records} arrived: truncated` };
    }
  }
  if (report.entries === 0 && report.tooWide.length === 0) {
    return { ok: false, reason: report.garbage > 0 ? `no valid entry in ${report.garbage} lines: not a list` : 'the list holds no entries' };
  }
  // A few bad lines are upstream noise; mostly garbage means we parsed the wrong thing.
  if (report.garbage > report.entries) {
    return { ok: false, reason: `${report.garbage} garbage lines against ${report.entries} entries: not a list in this format` };
  }
  return { ok: true, ...report };
}

function tooWide(ip: IpValue, limits: ParseLimits): boolean {
  return ip.family === 4 ? ip.prefix < limits.minPrefixV4 : ip.prefix < limits.minPrefixV6;
}

function jsonRecord(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
