// The dynloaders' status board (shared with the control socket) that also counts finished runs per
// loader and outcome: a loader publishes its status with an outcome exactly once per run, when it
// goes idle again. Counting here, not by sampling at scrape time, misses no run between two scrapes.
import type { DynloadStatus } from '../../../actors/dynload/dynloader.js';

export class DynloadRunBoard extends Map<string, DynloadStatus> {
  /** runs by loader, then by outcome */
  readonly runs = new Map<string, Map<string, number>>();

  override set(name: string, status: DynloadStatus): this {
    // the status a loader starts with (or writes when scheduling) has no outcome: not a run
    if (status.outcome !== null && super.get(name) !== status) {
      const byOutcome = this.runs.get(name) ?? new Map<string, number>();
      byOutcome.set(status.outcome, (byOutcome.get(status.outcome) ?? 0) + 1);
      this.runs.set(name, byOutcome);
    }
    return super.set(name, status);
  }
}
