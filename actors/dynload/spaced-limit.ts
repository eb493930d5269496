// Bounds the downloads of all loaders: at most `concurrency` at once (p-limit), and a loader starts at
// least `spacingMs` after another loader did, so two loaders never fetch in the same minute. A loader
// run again by hand right after itself is not delayed: only different loaders are spaced.
import pLimit from 'p-limit';

export function spacedLimit(concurrency: number, spacingMs: number, now: () => number = Date.now) {
  const limit = pLimit(concurrency);
  let lastKey: string | null = null;
  let lastStart = -Infinity;
  return <T>(key: string, fn: () => Promise<T>): Promise<T> =>
    limit(async () => {
      // reserve the slot before waiting, so loaders queued together get successive slots
      const at = key === lastKey ? Math.max(now(), lastStart) : Math.max(now(), lastStart + spacingMs);
      lastKey = key;
      lastStart = at;
      const wait = at - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return fn();
    });
}
