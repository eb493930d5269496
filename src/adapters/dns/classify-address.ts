// One DNS classification: PTR lookup, then forward-confirm each name (A for IPv4, AAAA for IPv6). Maps
// resolver answers to classes; a resolver failure is "unknown", never a verdict against the address.
import { formatIp, parseIp } from '../../core/ip.js';
import type { DnsClass } from '../../core/policy/dns-class.js';
import { arpaName } from './arpa.js';

/**
 * The part of node:dns/promises Resolver used here (tests may pass a fake). PTR goes through resolvePtr
 * on the arpa name, not Resolver.reverse: reverse turns timeouts and refusals into ENOTFOUND, which would
 * make a dead resolver classify every address NXDOMAIN.
 */
export interface DnsLookups {
  resolvePtr(arpa: string): Promise<string[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

// "the name does not exist" and "it exists without records of this type": both are answers, not failures
const NO_SUCH_RECORD = new Set(['ENOTFOUND', 'ENODATA']);

function isNoRecord(e: unknown): boolean {
  return NO_SUCH_RECORD.has((e as { code?: string })?.code ?? '');
}

/** Same address whatever the textual form (IPv6 compression, case). */
function canonical(text: string): string | undefined {
  const r = parseIp(text);
  return r.ok ? formatIp(r.ip) : undefined;
}

/**
 * Classifies one address. `signal` aborts between steps (the caller's deadline passed: the answer would
 * not be used). At most `maxNames` PTR names are confirmed: the PTR zone belongs to the attacker.
 */
export async function classifyAddress(dns: DnsLookups, ip: string, maxNames: number, signal?: AbortSignal): Promise<DnsClass> {
  const parsed = parseIp(ip);
  if (!parsed.ok || parsed.ip.prefix !== (parsed.ip.family === 4 ? 32 : 128)) return 'unknown';
  const want = formatIp(parsed.ip);
  let names: string[];
  try {
    names = await dns.resolvePtr(arpaName(parsed.ip));
  } catch (e) {
    return isNoRecord(e) ? 'NXDOMAIN' : 'unknown';
  }
  names = [...new Set(names.map((n) => n.replace(/\.$/, '').toLowerCase()))].filter((n) => n !== '').slice(0, maxNames);
  if (names.length === 0) return 'NXDOMAIN';
  if (signal?.aborted) return 'unknown';
  const family = parsed.ip.family;
  const outcomes = await Promise.all(
    names.map(async (name): Promise<'match' | 'elsewhere' | 'failed'> => {
      try {
        const addrs = family === 4 ? await dns.resolve4(name) : await dns.resolve6(name);
        return addrs.some((a) => canonical(a) === want) ? 'match' : 'elsewhere';
      } catch (e) {
        return isNoRecord(e) ? 'elsewhere' : 'failed';
      }
    }),
  );
  if (outcomes.includes('match')) return 'TRUEHOST';
  // a forward lookup that failed might have confirmed: no verdict against the address then
  if (outcomes.includes('failed')) return 'unknown';
  return 'FAKEHOST';
}
