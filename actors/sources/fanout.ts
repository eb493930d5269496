// Reads one source once for several subscribers (modules needing the same file or journal stream):
// the first subscriber of an id starts the source, the last one leaving stops it. Owns the shared
// sources; never lets one subscriber's failure reach another.
import type { JournalRecord, RecordSink } from './journal-source.js';
import { asError, type LineSink, type Source, type SourceEvents } from './source.js';

/** What a shared source's sink can do with the subscribers of the moment. */
export interface Hub<Sink> {
  /** Calls deliver for every subscriber; one that throws is told through its onError and dropped. */
  each(deliver: (sub: Sink) => void): void;
  /** The source failed (it has stopped itself): every subscriber gets the error, the source is retired. */
  failed(err: Error): void;
}

/** Builds the one sink a shared source is started with, from the hub of its subscribers. */
export type Broadcast<Sink extends SourceEvents> = (hub: Hub<Sink>) => Sink;

export const lineBroadcast: Broadcast<LineSink> = (hub) => ({
  onLines: (lines: string[], more?: boolean) => hub.each((s) => s.onLines(lines, more)),
  onNotice: (msg: string) => hub.each((s) => s.onNotice(msg)),
  onError: (err: Error) => hub.failed(err),
});

export const recordBroadcast: Broadcast<RecordSink> = (hub) => ({
  onRecords: (records: JournalRecord[]) => hub.each((s) => s.onRecords(records)),
  onNotice: (msg: string) => hub.each((s) => s.onNotice(msg)),
  onError: (err: Error) => hub.failed(err),
});

export interface Subscription {
  /** Leaves; the last subscriber leaving stops the source (resolves once it has stopped). Idempotent. */
  close(): Promise<void>;
}

/** retiring: its last subscriber left or it failed; it is stopping and a new subscribe starts anew. */
type SharedState = 'starting' | 'running' | 'retiring';

interface Shared<Sink extends SourceEvents> {
  source: Source<Sink>;
  subs: Set<Sink>;
  state: SharedState;
  /** settles when the current transition (start, stop) is over */
  transition: Promise<void>;
}

export class Fanout<Sink extends SourceEvents> {
  private readonly shared = new Map<string, Shared<Sink>>();

  constructor(private readonly broadcast: Broadcast<Sink>) {}

  /** The shared sources and their subscriber counts (for status). */
  get sources(): { id: string; subscribers: number; state: SharedState }[] {
    return [...this.shared].map(([id, s]) => ({ id, subscribers: s.subs.size, state: s.state }));
  }

  /**
   * Subscribes sink to the source with this id, creating and starting it (create()) unless it runs.
   * Resolves once the source runs; rejects, leaving nothing behind, if it fails to start.
   */
  async subscribe(id: string, create: () => Source<Sink>, sink: Sink): Promise<Subscription> {
    let s = this.shared.get(id);
    while (s !== undefined && s.state === 'retiring') {
      // The previous instance is on its way out: let it finish, then start a fresh one.
      await s.transition;
      if (this.shared.get(id) === s) this.shared.delete(id);
      s = this.shared.get(id);
    }
    if (s === undefined) {
      const fresh: Shared<Sink> = { source: create(), subs: new Set(), state: 'starting', transition: Promise.resolve() };
      fresh.transition = fresh.source.start(this.broadcast(this.hub(id, fresh)));
      this.shared.set(id, fresh);
      s = fresh;
      void fresh.transition.then(
        () => {
          if (fresh.state === 'starting') fresh.state = 'running';
        },
        () => this.forget(id, fresh),
      );
    }
    s.subs.add(sink);
    if (s.state === 'starting') {
      try {
        await s.transition;
      } catch (err) {
        s.subs.delete(sink);
        throw err;
      }
      if (s.state === 'starting') s.state = 'running';
      // Every subscriber may have failed on the first batches already.
      if (s.subs.size === 0 && s.state === 'running') this.retire(id, s);
    }
    const shared = s;
    return { close: () => this.leave(id, shared, sink) };
  }

  private async leave(id: string, s: Shared<Sink>, sink: Sink): Promise<void> {
    if (s.subs.delete(sink) && s.subs.size === 0 && s.state === 'running') this.retire(id, s);
    await s.transition.catch(() => undefined);
  }

  private hub(id: string, s: Shared<Sink>): Hub<Sink> {
    return {
      each: (deliver) => {
        for (const sub of [...s.subs]) {
          try {
            deliver(sub);
          } catch (err) {
            s.subs.delete(sub);
            tell(sub, asError(err));
          }
        }
        if (s.subs.size === 0 && s.state === 'running') this.retire(id, s);
      },
      failed: (err) => {
        const subs = [...s.subs];
        s.subs.clear();
        if (s.state !== 'retiring') this.retire(id, s);
        for (const sub of subs) tell(sub, err);
      },
    };
  }

  private retire(id: string, s: Shared<Sink>): void {
    s.state = 'retiring';
    s.transition = s.source.stop().catch(() => undefined);
    void s.transition.then(() => this.forget(id, s));
  }

  private forget(id: string, s: Shared<Sink>): void {
    if (this.shared.get(id) === s) this.shared.delete(id);
  }
}

function tell(sub: SourceEvents, err: Error): void {
  try {
    sub.onError(err);
  } catch {
    // nothing left to report to
  }
}
