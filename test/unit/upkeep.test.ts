// When a module database is rebuilt (VACUUM) or its WAL truncated after an expiry run: table-driven.
import test from 'ava';
import { DEFAULT_UPKEEP, planUpkeep, type UpkeepFacts } from '../../src/core/module/upkeep.js';

const D = 86_400_000;
const policy = { ...DEFAULT_UPKEEP, vacuumIntervalMs: D };
// a 40 MB file of 4 KB pages
const facts = (over: Partial<UpkeepFacts>): UpkeepFacts => ({ now: 10 * D, deletedRows: 0, pageSize: 4096, pages: 10_000, freePages: 0, lastVacuumAt: null, ...over });

const cases: [string, Partial<UpkeepFacts>, { vacuum: boolean; checkpoint: boolean }][] = [
  ['nothing free, nothing deleted: nothing to do', {}, { vacuum: false, checkpoint: false }],
  ['half the file free, never rebuilt: rebuild', { freePages: 5000, deletedRows: 50 }, { vacuum: true, checkpoint: false }],
  ['a quarter free: rebuild', { freePages: 2500 }, { vacuum: true, checkpoint: false }],
  ['a fifth free: no rebuild', { freePages: 2000 }, { vacuum: false, checkpoint: false }],
  ['half of a small file free: not worth it', { pages: 300, freePages: 150 }, { vacuum: false, checkpoint: false }],
  ['rebuilt an hour ago: not again', { freePages: 5000, lastVacuumAt: 10 * D - 3_600_000 }, { vacuum: false, checkpoint: false }],
  ['rebuilt a day ago: again', { freePages: 5000, lastVacuumAt: 9 * D }, { vacuum: true, checkpoint: false }],
  ['a big deletion without a rebuild truncates the WAL', { deletedRows: 10_000, lastVacuumAt: 10 * D - 1 }, { vacuum: false, checkpoint: true }],
  ['a small deletion leaves the WAL to SQLite', { deletedRows: 9_999 }, { vacuum: false, checkpoint: false }],
  ['an empty file', { pages: 0, freePages: 0, deletedRows: 0 }, { vacuum: false, checkpoint: false }],
];
for (const [name, over, expected] of cases) {
  test(`planUpkeep: ${name}`, (t) => {
    t.deepEqual(planUpkeep(facts(over), policy), expected);
  });
}
