// The supervisor's restart policy (OTP one_for_one): which exits restart a child, the exponential
// backoff per child and the intensity/period window across the tree. Pure: time is passed in, never read.

/** How a child is treated when it ends: OTP's permanent, transient and temporary. */
export type RestartMode = 'permanent' | 'transient' | 'temporary';

/** How a child ended: it threw (error) or it completed (done). */
export type ExitKind = 'error' | 'done';

export interface RestartPolicy {
  /** more than this many restarts within periodMs across the tree gives up */
  intensity: number;
  periodMs: number;
  /** delay before the first restart of a child, and after a reset */
  backoffInitialMs: number;
  backoffMaxMs: number;
  backoffFactor: number;
  /** a child that ran this long before it ended starts again from backoffInitialMs */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  intensity: 5,
  periodMs: 60_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  backoffFactor: 2,
  healthyAfterMs: 60_000,
});

/** Fills the defaults; rejects values that would make the policy meaningless. */
export function resolvePolicy(partial: Partial<RestartPolicy> = {}): RestartPolicy {
  const p = { ...DEFAULT_RESTART_POLICY, ...partial };
  const problems: string[] = [];
  if (!Number.isInteger(p.intensity) || p.intensity < 0) problems.push('intensity must be an integer >= 0');
  if (!(p.periodMs > 0)) problems.push('periodMs must be > 0');
  if (!(p.backoffInitialMs >= 0)) problems.push('backoffInitialMs must be >= 0');
  if (!(p.backoffMaxMs >= p.backoffInitialMs)) problems.push('backoffMaxMs must be >= backoffInitialMs');
  if (!(p.backoffFactor >= 1)) problems.push('backoffFactor must be >= 1');
  if (!(p.healthyAfterMs >= 0)) problems.push('healthyAfterMs must be >= 0');
  if (problems.length > 0) throw new RangeError(`restart policy: ${problems.join('; ')}`);
  return p;
}

/** OTP semantics: permanent restarts on any exit, transient only on error, temporary never. */
export function shouldRestart(mode: RestartMode, exit: ExitKind): boolean {
  if (mode === 'permanent') return true;
  if (mode === 'transient') return exit === 'error';
  return false;
}

/**
 * The delay before the next restart of one child. `previousDelayMs` is the delay used for its last
 * restart (null: never restarted); `ranForMs` is how long it ran before this exit.
 */
export function nextBackoff(policy: RestartPolicy, previousDelayMs: number | null, ranForMs: number): number {
  if (previousDelayMs === null || ranForMs >= policy.healthyAfterMs) return policy.backoffInitialMs;
  const next = Math.max(previousDelayMs * policy.backoffFactor, policy.backoffInitialMs);
  return Math.min(next, policy.backoffMaxMs);
}

/** The restart times still inside the period ending at `now`. */
export function pruneWindow(policy: RestartPolicy, window: readonly number[], now: number): number[] {
  return window.filter((t) => t > now - policy.periodMs);
}

/** What one child's exit has as consequence. */
export type ExitDecision =
  /** not restarted: `done` after a normal completion, `stopped` after an error */
  | { kind: 'leave'; state: 'done' | 'stopped' }
  | { kind: 'restart'; delayMs: number; window: number[] }
  | { kind: 'give-up'; reason: string; window: number[] };

export interface ExitFacts {
  childId: string;
  mode: RestartMode;
  exit: ExitKind;
  /** when the child (re)started */
  startedAt: number;
  previousDelayMs: number | null;
  /** times of earlier restarts across the tree */
  window: readonly number[];
  now: number;
}

/** Applies the policy to one exit: leave the child, restart it after a delay, or give up. */
export function decideExit(policy: RestartPolicy, f: ExitFacts): ExitDecision {
  if (!shouldRestart(f.mode, f.exit)) return { kind: 'leave', state: f.exit === 'done' ? 'done' : 'stopped' };
  const window = [...pruneWindow(policy, f.window, f.now), f.now];
  if (window.length > policy.intensity) {
    const reason =
      `child '${f.childId}' ended (${f.exit}) and the tree would exceed ${policy.intensity} restarts ` +
      `within ${policy.periodMs} ms`;
    return { kind: 'give-up', reason, window };
  }
  return { kind: 'restart', delayMs: nextBackoff(policy, f.previousDelayMs, f.now - f.startedAt), window };
}
