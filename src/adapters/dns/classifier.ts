// Classifies offender addresses by DNS in the background: bounded concurrency (p-limit), an LRU cache
// with TTLs (negative answers too) and a deadline per lookup. Never blocks its caller: peek() is synchronous.
import pLimit, { type LimitFunction } from 'p-limit';
import type { DnsClass } from '../../core/policy/dns-class.js';
import { classifyAddress, type DnsLookups } from './classify-address.js';
import { createResolver } from './resolver.js';
import { TtlCache } from './ttl-cache.js';
import { ownString } from '../../core/own-string.js';

export interface DnsClassifierOptions {
  /** resolver addresses ("127.0.0.1:5353", "[2001:db8::53]:53"); empty: the system's */
  servers: readonly string[];
  /** every classify() settles within this, queueing included, whatever the resolver does */
  timeoutMs: number;
  /** lookups running at once */
  concurrency: number;
  /** lookups waiting for a slot; beyond this classify() answers unknown at once (uncached), so a flood of
   *  new addresses cannot build an unbounded queue */
  maxQueue: number;
  /** cache lifetimes: TRUEHOST; NXDOMAIN and FAKEHOST; unknown (when to ask again) */
  positiveTtlMs: number;
  negativeTtlMs: number;
  unknownTtlMs: number;
  maxEntries: number;
  /** PTR names forward-confirmed per address: the PTR zone belongs to whoever owns the address */
  maxNames: number;
}

export const DEFAULT_DNS_OPTIONS: Readonly<DnsClassifierOptions> = Object.freeze({
  servers: [],
  timeoutMs: 2_000,
  concurrency: 16,
  maxQueue: 10_000,
  positiveTtlMs: 3_600_000,
  negativeTtlMs: 900_000,
  unknownTtlMs: 60_000,
  maxEntries: 100_000,
  maxNames: 4,
});

export interface DnsStats {
  lookups: number;
  cacheHits: number;
  /** lookups that hit their deadline */
  timeouts: number;
  /** classify() calls answered unknown at once because the queue was full or the classifier closed */
  shed: number;
}

export interface DnsClassifierDeps {
  /** a resolver to use instead of one built from the options (tests) */
  lookups?: DnsLookups & { cancel?: () => void };
  clock?: () => number;
}

export class DnsClassifier {
  readonly options: Readonly<DnsClassifierOptions>;
  private readonly dns: DnsLookups & { cancel?: () => void };
  private readonly cache: TtlCache<string, DnsClass>;
  private readonly limit: LimitFunction;
  private readonly inflight = new Map<string, Promise<DnsClass>>();
  // aborted by close(): every lookup still running or queued settles as unknown at once
  private readonly life = new AbortController();
  private readonly counters: DnsStats = { lookups: 0, cacheHits: 0, timeouts: 0, shed: 0 };

  constructor(options: Partial<DnsClassifierOptions> = {}, deps: DnsClassifierDeps = {}) {
    const o = { ...DEFAULT_DNS_OPTIONS, ...options };
    if (!(o.timeoutMs > 0)) throw new RangeError('DnsClassifier: timeoutMs must be > 0');
    if (!(Number.isInteger(o.maxQueue) && o.maxQueue >= 0)) throw new RangeError('DnsClassifier: maxQueue must be an integer >= 0');
    if (!(Number.isInteger(o.maxNames) && o.maxNames >= 1)) throw new RangeError('DnsClassifier: maxNames must be an integer >= 1');
    this.options = Object.freeze(o);
    this.dns = deps.lookups ?? createResolver(o.servers, o.timeoutMs);
    this.cache = new TtlCache(o.maxEntries, deps.clock ?? Date.now);
    this.limit = pLimit(o.concurrency);
  }

  /** The cached class of `ip` (canonical form, as in Detection.ip), or undefined: synchronous, no lookup. */
  peek(ip: string): DnsClass | undefined {
    return this.cache.get(ip);
  }

  /**
   * The class of `ip`, from the cache or a lookup; concurrent calls for one address share one lookup.
   * Resolves (never rejects) within timeoutMs; unknown when the resolver failed, timed out or was busy.
   */
  classify(ip: string): Promise<DnsClass> {
    const cached = this.cache.get(ip);
    if (cached !== undefined) {
      this.counters.cacheHits++;
      return Promise.resolve(cached);
    }
    const running = this.inflight.get(ip);
    if (running !== undefined) return running;
    // cached for the TTL: never a slice pinning the chunk of log its line came from
    ip = ownString(ip);
    if (this.life.signal.aborted || this.limit.pendingCount >= this.options.maxQueue) {
      this.counters.shed++;
      return Promise.resolve('unknown');
    }
    const p = this.lookup(ip).then((cls) => {
      this.inflight.delete(ip);
      if (!this.life.signal.aborted) this.cache.set(ip, cls, this.ttlOf(cls));
      return cls;
    });
    this.inflight.set(ip, p);
    return p;
  }

  get stats(): Readonly<DnsStats & { cached: number; inflight: number; queued: number }> {
    return { ...this.counters, cached: this.cache.size, inflight: this.inflight.size, queued: this.limit.pendingCount };
  }

  /** Settles every pending lookup as unknown and cancels the resolver's queries; later calls answer unknown. */
  close(): void {
    this.life.abort();
    this.limit.clearQueue();
    this.dns.cancel?.();
    this.cache.clear();
  }

  private ttlOf(cls: DnsClass): number {
    if (cls === 'TRUEHOST') return this.options.positiveTtlMs;
    if (cls === 'unknown') return this.options.unknownTtlMs;
    return this.options.negativeTtlMs;
  }

  // The deadline starts now, not when a slot frees up: the caller's bound covers the queueing too.
  private lookup(ip: string): Promise<DnsClass> {
    this.counters.lookups++;
    const deadline = new AbortController();
    const signal = AbortSignal.any([deadline.signal, this.life.signal]);
    return new Promise<DnsClass>((resolve) => {
      const timer = setTimeout(() => {
        this.counters.timeouts++;
        deadline.abort();
      }, this.options.timeoutMs);
      const settle = (cls: DnsClass): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(cls);
      };
      const onAbort = (): void => settle('unknown');
      signal.addEventListener('abort', onAbort, { once: true });
      // a job whose deadline passed while queued does not query at all
      this.limit(() => (signal.aborted ? 'unknown' : classifyAddress(this.dns, ip, this.options.maxNames, signal))).then(settle, () => settle('unknown'));
    });
  }
}
