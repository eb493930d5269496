// Cleanup scopes for the e2e lab: an ava ExecutionContext (per test) or a SharedScope (one lab per
// test file, closed in test.after.always, since ava refuses t.teardown in hooks). Teardowns run in
// reverse order of registration; one failing teardown never stops the others.
import type { ExecutionContext } from 'ava';

export interface Scope {
  teardown(fn: () => void | Promise<void>): void;
}

export class SharedScope implements Scope {
  private fns: (() => void | Promise<void>)[] = [];
  private closed = false;

  teardown(fn: () => void | Promise<void>): void {
    if (this.closed) throw new Error('SharedScope already closed');
    this.fns.push(fn);
  }

  /** Runs every teardown, last registered first; returns the errors it caught (also logged). See closeOrThrow. */
  async close(): Promise<Error[]> {
    this.closed = true;
    const errors: Error[] = [];
    for (const fn of this.fns.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
        console.error(`e2e teardown failed: ${String(err)}`);
      }
    }
    this.fns = [];
    return errors;
  }

  /** close(), then throws when any teardown failed (for test.after.always: a broken cleanup shows). */
  async closeOrThrow(): Promise<void> {
    const errors = await this.close();
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} e2e teardown step(s) failed: ${errors.map((e) => e.message).join('; ')}`);
  }
}

/**
 * The existing namespace helpers (netns.ts, daemon.ts) only call t.teardown; this lets them register
 * their cleanup in a SharedScope too.
 */
export function asContext(scope: Scope): ExecutionContext {
  return scope as unknown as ExecutionContext;
}
