// The hot path inside one transaction: detections become affairs (one packed block per batch), offender changes (in
// memory, rows written behind) and pending bans (with subnet bans) as the pure policy decides; a late DNS
// class re-evaluates its offender. Opens no transaction.
import type Database from 'better-sqlite3';
import { AffairKinds } from './affair-kinds.js';
import { BlockEncoder, MAX_BLOCK_AFFAIRS } from './affair-block.js';
import type { AffairBlocks } from './affair-blocks.js';
import { parseIp, type IpValue, type ParsedIp } from '../../core/ip.js';
import type { Detection } from '../../core/logline/types.js';
import type { DnsClass } from '../../core/policy/dns-class.js';
import { applyAffair, applyDnsClass, IGNORED, type BanDecision, type PolicyContext } from '../../core/policy/offender.js';
import { decideSubnet, subnetOf } from '../../core/policy/subnet.js';
import type { BanRow } from './ban-row.js';
import type { BanTable } from './ban-table.js';
import { OffenderCursor, type OffenderBook } from './offender-book.js';
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
  // the batch's affairs, packed into one block (affair-block.ts): one row per batch, not per affair
  private readonly block = new BlockEncoder();
  private readonly kinds: AffairKinds;
  // the one LiveOffender the policy judges: each affair's record is loaded into it and stored back
  private readonly cursor = new OffenderCursor();

  constructor(
    db: Database.Database,
    private readonly offenders: OffenderBook,
    private readonly bans: BanTable,
    private readonly positions: PositionTable,
    private readonly blocks: AffairBlocks,
  ) {
    this.kinds = new AffairKinds(db);
  }

  batch(detections: readonly Detection[], ctx: BatchContext, at: PositionAt | undefined): BatchResult {
    const out: BatchResult = { recorded: 0, ignored: 0, invalid: 0, bans: [] };
    const classOf = ctx.classOf;
    const book = this.offenders;
    const o = book.slots;
    const cur = this.cursor;
    for (let i = 0; i < detections.length; i++) {
      const d = detections[i]!;
      const time = d.time ?? ctx.now;
      // a known offender's text is its canonical key: no parsing on the common path
      const v4 = d.v4;
      let s = v4 !== undefined && v4 >= 0 ? book.cachedV4(v4) : book.cached(d.ip);
      // a new address (not in memory): its canonical text and value
      let value: IpValue | undefined;
      let text = '';
      if (s < 0) {
        if (v4 !== undefined && v4 >= 0) {
          // the detector read this dotted quad as v4: it is canonical, no parse needed
          value = { family: 4, v4, prefix: 32, normalised: false };
          text = d.ip;
        } else {
          const parsed = hostAddress(d.ip);
          if (parsed === undefined) {
            out.invalid++;
            continue;
          }
          value = parsed;
          text = parsed.addr;
        }
        s = book.get(text, value);
      }
      let ip: string;
      if (s >= 0) {
        o.willChange(s);
        o.load(s, cur);
        ip = o.ip(s);
      } else {
        cur.fresh();
        ip = text;
      }
      // the whitelist is asked once per offender and whitelist (the record remembers the answer)
      const addr = cur.checkedAgainst === ctx.whitelist ? ip : s >= 0 ? o.value(s) : value!;
      const v = applyAffair(cur, addr, time, d.weight, ctx, classOf?.(ip));
      if (v === IGNORED) {
        if (s >= 0) o.store(s, cur); // the whitelist answer, remembered
        out.ignored++;
        continue;
      }
      if (s < 0) s = o.create(text, value!, time);
      o.store(s, cur);
      this.block.add(o.family(s) === 4 ? o.v4(s) : -1, o.ip(s), time, this.kinds.id(d.rule, d.event, d.weight), d.user ?? null, d.vhost ?? null);
      if (this.block.size === MAX_BLOCK_AFFAIRS) this.blocks.write(this.block);
      out.recorded++;
      o.seen(s, time);
      if (v.action === 'ban') this.ban(s, v, d.rule, ctx, out.bans);
      book.changed(s);
    }
    this.blocks.write(this.block);
    this.bans.flush();
    if (at) this.positions.save(at.key, at.position);
    return out;
  }

  /** The transaction rolled back: drop what was gathered for it (the offender book restores itself). */
  rolledBack(): void {
    this.block.reset();
    this.kinds.forget();
    this.bans.rolledBack();
  }

  reclassify(text: string, cls: DnsClass, ctx: PolicyContext): BanRow[] {
    const host = hostAddress(text);
    const s = host ? this.offenders.get(host.addr, host) : -1;
    // an address never recorded (whitelisted, or forgotten) has nothing to re-evaluate
    if (s < 0) return [];
    const o = this.offenders.slots;
    const bans: BanRow[] = [];
    o.willChange(s);
    o.load(s, this.cursor);
    const v = applyDnsClass(this.cursor, o.value(s), cls, ctx);
    o.store(s, this.cursor);
    if (v.action === 'ban') this.ban(s, v, null, ctx, bans);
    this.offenders.changed(s);
    this.bans.flush();
    return bans;
  }

  // Writes the pending ban the policy decided (and maybe its subnet's). A still-current earlier ban of the
  // address can only be the offender's latest one: that one is superseded.
  private ban(s: number, d: BanDecision, rule: string | null, ctx: PolicyContext, bans: BanRow[]): void {
    const o = this.offenders.slots;
    const sub = ctx.policy.subnet;
    const value = o.value(s);
    const subnet = sub ? subnetOf(value, sub) : null;
    const ban = this.bans.add({ entry: o.ip(s), family: o.family(s), since: d.since, until: d.until, reason: d.reason, rule, subnet }, o.banId(s));
    o.setBanId(s, ban.id);
    bans.push(ban);
    if (sub && subnet) {
      const sd = decideSubnet(this.bans.subnetFacts(subnet, ctx.now - sub.windowMs), ctx.policy, ctx.whitelist, ctx.now);
      if (sd.action === 'ban') {
        bans.push(this.bans.addSubnet({ entry: sd.cidr, family: value.family, since: sd.since, until: sd.until, reason: sd.reason, rule: null, subnet: null }));
      }
    }
  }
}
