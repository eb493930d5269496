// The DNS classes of an offender and what each does to its affair count. Pure data and arithmetic:
// the lookups themselves live in src/adapters/dns/.

/**
 * unknown: lookup pending or failed (timeout, SERVFAIL); NXDOMAIN: no PTR; FAKEHOST: the PTR name does
 * not resolve back to the address; TRUEHOST: it does.
 */
export const DNS_CLASSES = ['unknown', 'NXDOMAIN', 'FAKEHOST', 'TRUEHOST'] as const;
export type DnsClass = (typeof DNS_CLASSES)[number];

export function isDnsClass(s: unknown): s is DnsClass {
  return typeof s === 'string' && (DNS_CLASSES as readonly string[]).includes(s);
}

/** Classes that prove nothing good about the sender: no PTR at all, or a PTR that lies. */
export function isSuspectClass(c: DnsClass): boolean {
  return c === 'NXDOMAIN' || c === 'FAKEHOST';
}

/**
 * What a class adds to an offender's count once it has at least one affair. Suspect classes "start at
 * limit-1": their first affair brings the count to limit-1, so the second one reaches the limit (dead on
 * the second affair). With a limit of 1 or 2 that is already the normal rule, hence the floor at 0.
 */
export function classPreset(c: DnsClass, limit: number): number {
  return isSuspectClass(c) ? Math.max(0, limit - 2) : 0;
}

/** A new answer replaces the class, except unknown (a failed retry): it never erases what was learnt. */
export function mergeClass(current: DnsClass, incoming: DnsClass | undefined): DnsClass {
  return incoming === undefined || incoming === 'unknown' ? current : incoming;
}
