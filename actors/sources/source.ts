// The contract every log source keeps with its owner: batches of complete lines in order, fatal
// problems as onError, operational news as onNotice. A source never throws out of an async callback.

/** What a source reports besides its data. */
export interface SourceEvents {
  /** Fatal: the source has stopped itself; its owner restarts it under supervision. Called once. */
  onError(err: Error): void;
  /** Not fatal, for the log: rotation seen, file vanished, line cut, waiting for a writer... */
  onNotice(msg: string): void;
}

/**
 * Receives complete lines. One call per read chunk (not per line), in order. The batch counts as
 * handled when onLines returns: sources that persist a position save it right after, so a consumer
 * must finish with the lines (synchronously) before returning. Throwing fails the source and the
 * batch is not acknowledged (it is read again after a restart). The array is handed over: the source
 * never changes it afterwards (the modules sharing a fanned-out batch parse it once, by its identity).
 *
 * `more` (a burst): the source read a full buffer and delivers again at once. The consumer may then
 * hold what it made of the batch and finish it together with the next ones (one transaction instead
 * of several); the source saves no position meanwhile and ends every burst with a delivery without
 * `more` (an empty one if need be), after at most MAX_BURST batches.
 */
export interface LineSink extends SourceEvents {
  onLines(lines: string[], more?: boolean): void;
}

/** At most this many batches in a row are delivered with `more`. */
export const MAX_BURST = 4;

/** Live counters, readable at any time. */
export interface SourceCounters {
  /** lines (or records) delivered */
  readonly linesRead: number;
  /** lines cut to the length limit */
  readonly linesCut: number;
  /** bytes read from the underlying file, pipe, stream or process */
  readonly bytesRead: number;
}

/** A source of one kind of batch; Sink is LineSink for line sources. */
export interface Source<Sink extends SourceEvents = LineSink> extends SourceCounters {
  /** Identity of what is read (e.g. "file:/var/log/auth.log"): equal ids read the same data. */
  readonly id: string;
  /** Resolves once reading is set up (or waiting for the file to appear); rejects if it cannot be. */
  start(sink: Sink): Promise<void>;
  /** Stops reading and releases everything; resolves when no callback will be called any more. */
  stop(): Promise<void>;
}

/** An Error from anything thrown (callbacks may throw non-Errors). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
