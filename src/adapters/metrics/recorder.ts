// What metrics must count as it happens, kept without prom-client: the dynloader run board, firewall
// apply failures and module bans (through the timed backend). The daemon holds one from the start;
// the Prometheus registry (registry.ts, ~13 MB of RSS) is loaded only when metrics are first enabled
// and then reads these totals, so an idle daemon with metrics off carries none of it.
import type { FirewallBackend } from '../../../actors/fw/backend.js';
import type { EntryOp } from '../../core/fw-plan.js';
import { DynloadRunBoard } from './dynload-board.js';
import { timedBackend, type ApplyKind } from './fw-timing.js';

export class MetricsRecorder {
  /** the dynloaders' status board: give it to the tree as deps.dynloads */
  readonly dynloads = new DynloadRunBoard();
  /** live entries added per module source (mod:LG), counted when the batch was applied */
  readonly bansAdded = new Map<string, number>();
  /** failed backend jobs per kind */
  readonly applyFailures = new Map<ApplyKind, number>();
  /** where apply durations go once a registry exists (before that they are not kept) */
  durationSink: ((kind: ApplyKind, seconds: number) => void) | null = null;

  /** The backend fw-writer gets: the real one, timed. It forwards every call unchanged. */
  timed(backend: FirewallBackend): FirewallBackend {
    return timedBackend(backend, {
      applied: (kind: ApplyKind, seconds: number, ok: boolean) => {
        this.durationSink?.(kind, seconds);
        if (!ok) this.applyFailures.set(kind, (this.applyFailures.get(kind) ?? 0) + 1);
      },
      batch: (ops: readonly EntryOp[]) => {
        for (const op of ops) if (op.op === 'add' && op.source.startsWith('mod:')) this.bansAdded.set(op.source, (this.bansAdded.get(op.source) ?? 0) + 1);
      },
    });
  }
}
