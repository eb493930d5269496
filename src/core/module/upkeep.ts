// Decides the upkeep of a module database after an expiry run: rebuild the file (VACUUM) when much of
// it is free and the last rebuild is old enough; truncate the WAL after big deletions. Pure: facts in.

/** What the database says about itself after an expiry run. */
export interface UpkeepFacts {
  now: number;
  /** rows the run deleted (affairs, offenders, bans) */
  deletedRows: number;
  pageSize: number;
  pages: number;
  freePages: number;
  /** when the file was last rebuilt; null: never (as far as the file knows) */
  lastVacuumAt: number | null;
}

export interface UpkeepPolicy {
  /** at most one rebuild this often */
  vacuumIntervalMs: number;
  /** rebuild only when at least this share of the file is free pages ... */
  minFreeShare: number;
  /** ... and they add up to at least this many bytes (a small file is not worth a rebuild) */
  minFreeBytes: number;
  /** a run that deleted this many rows truncates the WAL it grew */
  checkpointAfterRows: number;
}

export const DEFAULT_UPKEEP: Readonly<Omit<UpkeepPolicy, 'vacuumIntervalMs'>> = Object.freeze({
  minFreeShare: 0.25,
  minFreeBytes: 1 << 20,
  checkpointAfterRows: 10_000,
});

/** vacuum: rebuild the file now (a WAL truncation follows it); checkpoint: truncate the WAL only. */
export interface UpkeepPlan {
  vacuum: boolean;
  checkpoint: boolean;
}

export function planUpkeep(f: UpkeepFacts, p: UpkeepPolicy): UpkeepPlan {
  const freeShare = f.pages > 0 ? f.freePages / f.pages : 0;
  const due = f.lastVacuumAt === null || f.now - f.lastVacuumAt >= p.vacuumIntervalMs;
  const vacuum = due && freeShare >= p.minFreeShare && f.freePages * f.pageSize >= p.minFreeBytes;
  return { vacuum, checkpoint: !vacuum && f.deletedRows >= p.checkpointAfterRows };
}
