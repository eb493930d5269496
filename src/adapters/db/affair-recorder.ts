// The hot path inside one transaction: detections become affairs, offender updates and pending bans (with
// subnet bans) as the pure policy decides; a late DNS class re-evaluates its offender. Opens no transaction.
import type Database from 'better-sqlite3';
import { parseIp, type IpValue, type ParsedIp } from '../../core/ip.js';
import type { Detection } from '../../core/logline/types.js';
import { mergeClass, type DnsClass } from '../../core/policy/dns-class.js';
import { NEW_OFFENDER, onAffair, onDnsClass, type Outcome, type PolicyContext } from '../../core/policy/offender.js';
import { decideSubnet, subnetOf } from '../../core/policy/subnet.js';
import type { BanRow } from './ban-row.js';
import type { BanTable } from './ban-table.js';
import type { OffenderBook, OffenderRecord } from './offender-book.js';
import type { PositionTable, SourcePosition } from './position-store.js';

/** What one batch is judged with. */
export interface BatchContext extends PolicyContext {
  /** the DNS class already known for an address (DnsClassifier.peek); undefined: not known yet */
  classOf?: (ip: string) => DnsClass | undefined;
}

export interface BatchResult {
  /** affairs stored */
  recorded: number;
  /** whitelisted: neither stored nor counted */
  ignored: number;
  /** detections whose address is not a single address (a rule bug): skipped */
  invalid: number;
  /** pending bans written by this batch, committed when recordBatch returns: send them to fw-writer */
  bans: BanRow[];
}

/** A reader's position to save together with a batch. */
export interface PositionAt {
  key: string;
  position: SourcePosition;
}

/** The canonical form of a single address (detections carry no networks); undefined when it is not one. */
export function hostAddress(text: string): ParsedIp | undefined {
  const r = parseIp(text);
  if (!r.ok || r.ip.prefix !== (r.ip.family === 4 ? 32 : 128)) return undefined;
  return r.ip;
}

export class AffairRecorder {
  private readonly insertAffair: Database.Statement<[string, number, string, string, number, string | null, string | null]>;

  constructor(
    db: Database.Database,
    private readonly offenders: OffenderBook,
    private readonly bans: BanTable,
    private readonly positions: PositionTable,
  ) {
    this.insertAffair = db.prepare('INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  batch(detections: readonly Detection[], ctx: BatchContext, at: PositionAt | undefined): BatchResult {
    const out: BatchResult = { recorded: 0, ignored: 0, invalid: 0, bans: [] };
    for (const d of detections) {
      // a known offender's text is its canonical key: no parsing on the common path
      let rec = this.offenders.cached(d.ip);
      let host: IpValue;
      let ip: string;
      if (rec !== undefined) {
        host = rec.value;
        ip = rec.ip;
      } else {
        const parsed = hostAddress(d.ip);
        if (parsed === undefined) {
          out.invalid++;
          continue;
        }
        host = parsed;
        ip = parsed.addr;
        rec = this.offenders.get(ip, parsed);
      }
      const time = d.time ?? ctx.now;
      let state = rec?.state ?? NEW_OFFENDER;
      const dnsClass = mergeClass(state.dnsClass, ctx.classOf?.(ip));
      if (dnsClass !== state.dnsClass) state = { ...state, dnsClass };
      const outcome = onAffair(state, { ip: host, time, weight: d.weight }, ctx);
      if (outcome.decision.action === 'ignore') {
        out.ignored++;
        continue;
      }
      this.insertAffair.run(ip, time, d.rule, d.event, d.weight, d.user ?? null, d.vhost ?? null);
      out.recorded++;
      const firstSeen = rec === undefined || time < rec.firstSeen ? time : rec.firstSeen;
      const lastSeen = rec === undefined || time > rec.lastSeen ? time : rec.lastSeen;
      this.settle(ip, host, rec, firstSeen, lastSeen, outcome, d.rule, ctx, out.bans);
    }
    this.offenders.flush();
    if (at) this.positions.save(at.key, at.position);
    return out;
  }

  reclassify(text: string, cls: DnsClass, ctx: PolicyContext): BanRow[] {
    const host = hostAddress(text);
    const rec = host && this.offenders.get(host.addr, host);
    // an address never recorded (whitelisted, or forgotten) has nothing to re-evaluate
    if (host === undefined || rec === undefined) return [];
    const bans: BanRow[] = [];
    const outcome = onDnsClass(rec.state, host, cls, ctx);
    this.settle(host.addr, host, rec, rec.firstSeen, rec.lastSeen, outcome, null, ctx, bans);
    this.offenders.flush();
    return bans;
  }

  // Stores the offender's new state and, on a ban decision, writes the pending ban (and maybe its subnet's).
  private settle(
    ip: string,
    value: IpValue,
    rec: OffenderRecord | undefined,
    firstSeen: number,
    lastSeen: number,
    outcome: Outcome,
    rule: string | null,
    ctx: PolicyContext,
    bans: BanRow[],
  ): void {
    const d = outcome.decision;
    let banId = rec?.banId ?? null;
    if (d.action === 'ban') {
      const sub = ctx.policy.subnet;
      const subnet = sub ? subnetOf(value, sub) : null;
      const ban = this.bans.add({ entry: ip, family: value.family, since: d.since, until: d.until, reason: d.reason, rule, subnet });
      banId = ban.id;
      bans.push(ban);
      if (sub && subnet) {
        const s = decideSubnet(this.bans.subnetFacts(subnet, ctx.now - sub.windowMs), ctx.policy, ctx.whitelist, ctx.now);
        if (s.action === 'ban') {
          bans.push(this.bans.add({ entry: s.cidr, family: value.family, since: s.since, until: s.until, reason: s.reason, rule: null, subnet: null }));
        }
      }
    }
    this.offenders.put({ ip, value, state: outcome.state, firstSeen, lastSeen, banId });
  }
}
