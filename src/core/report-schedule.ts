// When the next scheduled report is due: daily, or weekly on Mondays, at a local time of day. Pure: the
// caller passes "now"; Date is used for local calendar math only (DST days are 23 or 25 hours long).

export type ReportSchedule = 'off' | 'daily' | 'weekly';

/** The first time strictly after `now` that matches the schedule; null when it is off. */
export function nextReportAt(now: number, schedule: ReportSchedule, at: string): number | null {
  if (schedule === 'off') return null;
  const m = /^(\d{2}):(\d{2})$/.exec(at);
  if (!m) throw new Error(`bad time of day "${at}"`);
  const [h, min] = [Number(m[1]), Number(m[2])];
  const d = new Date(now);
  for (let day = 0; day <= 8; day++) {
    const t = new Date(d.getFullYear(), d.getMonth(), d.getDate() + day, h, min).getTime();
    if (t <= now) continue;
    if (schedule === 'weekly' && new Date(t).getDay() !== 1) continue;
    return t;
  }
  // unreachable: some Monday lies within 8 days
  throw new Error('no report time found');
}
