// Runs async operations strictly one after another, in call order; a failed one does not stop the next.
// Used by the ipset backend so a live ban never interleaves with a set swap or a session batch.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
