// Live tracing for `watcherctl trace`: the actor system's inspection callback fans out state
// transitions and events to the connected trace clients. When nobody traces, the callback returns
// after one size check: no per-event work, no allocation.
import type { ActorRefLike, AnyEventObject, InspectionEvent } from 'xstate';

/** One frame of a trace, as streamed to the client. */
export type TraceFrame =
  | { t: number; kind: 'event'; actor: string; from: string | null; event: Record<string, unknown> }
  | { t: number; kind: 'transition'; actor: string; state: unknown; status: string; event: string }
  | { t: number; kind: 'actor'; actor: string };

interface Subscriber {
  actor: string | undefined;
  emit: (f: TraceFrame) => void;
}

type Ref = ActorRefLike & { id?: string; _parent?: Ref };

/** The actor's id and its ancestors' ids (`module:LG` is an ancestor of its pipeline). */
function lineage(ref: Ref | undefined): string[] {
  const ids: string[] = [];
  for (let r = ref, n = 0; r && n < 16; r = r._parent, n++) ids.push(r.id ?? '?');
  return ids;
}

/** An event without actor references or bulk: primitives kept (long strings cut), arrays as lengths. */
export function summarise(ev: AnyEventObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev)) {
    if (typeof v === 'string') out[k] = v.length > 200 ? `${v.slice(0, 197)}...` : v;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
    else if (Array.isArray(v)) out[k] = `[${v.length}]`;
  }
  return out;
}

export class TraceHub {
  private readonly subs = new Set<Subscriber>();
  // last state value seen per actor, only kept while someone traces
  private last = new WeakMap<object, string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The `inspect` option of createActor. */
  readonly inspect = (ie: InspectionEvent): void => {
    if (this.subs.size === 0) return;
    this.publish(ie);
  };

  get subscribers(): number {
    return this.subs.size;
  }

  /** Streams frames of `actor` (and its descendants; all when undefined) to emit; returns the unsubscribe. */
  subscribe(actor: string | undefined, emit: (f: TraceFrame) => void): () => void {
    const s: Subscriber = { actor, emit };
    this.subs.add(s);
    return () => {
      this.subs.delete(s);
      if (this.subs.size === 0) this.last = new WeakMap();
    };
  }

  private publish(ie: InspectionEvent): void {
    const ref = ie.actorRef as Ref;
    const ids = lineage(ref);
    let frame: TraceFrame | undefined;
    const t = this.now();
    if (ie.type === '@xstate.event') {
      frame = { t, kind: 'event', actor: ids[0]!, from: (ie.sourceRef as Ref | undefined)?.id ?? null, event: summarise(ie.event) };
    } else if (ie.type === '@xstate.snapshot') {
      const snap = ie.snapshot as { value?: unknown; status?: string };
      const value = JSON.stringify(snap.value ?? null);
      if (this.last.get(ref) === value) return;
      this.last.set(ref, value);
      frame = { t, kind: 'transition', actor: ids[0]!, state: snap.value ?? null, status: snap.status ?? 'active', event: ie.event.type };
    } else if (ie.type === '@xstate.actor') {
      frame = { t, kind: 'actor', actor: ids[0]! };
    }
    if (!frame) return;
    for (const s of this.subs) if (s.actor === undefined || ids.includes(s.actor)) s.emit(frame);
  }
}
