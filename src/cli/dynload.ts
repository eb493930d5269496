// `watcherctl dynload [NAME]` runs one dynloader (or all) now; `watcherctl dynload status` shows each
// loader's last attempt, last success, entries, age, next run and last error.
import { request } from '../control/client.js';
import { reportFailure } from './ctl/common.js';
import type { WatcherConfig } from '../config/schema.js';

interface Row {
  name: string;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  entries: number | null;
  ageSeconds: number | null;
  nextRunAt: number | null;
  lastError: string | null;
  outcome: string | null;
}

const when = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString().replace(/\.\d+Z$/, 'Z'));

export async function dynloadCommand(config: WatcherConfig, args: string[], json: boolean): Promise<number> {
  const status = args[0] === 'status';
  try {
    const r = await request(config.control.socket, status ? { cmd: 'dynload-status' } : args[0] !== undefined ? { cmd: 'dynload', name: args[0] } : { cmd: 'dynload' });
    if (!r.ok) {
      process.stderr.write(`watcherctl: ${r.error?.message ?? 'refused'}\n`);
      return 1;
    }
    if (json) console.log(JSON.stringify(r.result, null, 2));
    else if (!status) console.log(`dynload requested: ${(r.result as { loaders: string[] }).loaders.join(', ') || '(no dynloader enabled)'}`);
    else {
      const rows = r.result as Row[];
      if (rows.length === 0) console.log('no dynloader enabled');
      for (const s of rows) {
        console.log(
          `${s.name}: entries ${s.entries ?? '-'}, last attempt ${when(s.lastAttemptAt)}, last success ${when(s.lastSuccessAt)}` +
            ` (age ${s.ageSeconds ?? '-'} s), next run ${when(s.nextRunAt)}, last outcome ${s.outcome ?? '-'}` +
            (s.lastError ? `, last error: ${s.lastError}` : ''),
        );
      }
    }
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}
