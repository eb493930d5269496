// Bounds the downloads of all loaders: at most `concurrency` at once (p-limit), and a loader starts at
// least `spacingMs` after another loader did, so two loaders never fetch in the same minute. A loader
// run again by hand right after itself is not delayed: only different loaders are spaced.
import pLimit from 'p-limit';

export function spacedLimit(concurrency: number, spacingMs: number, now: () => number = Date.now) {
  const limit = pLimit(concurrency);
  let lastKey: string | null = null;
  let lastStart = -Infinity;
  // Starts pass one at a time through this chain, each waiting from the ACTUAL previous start: a
  // late timer on a busy machine then delays the next start instead of shrinking the spacing.
  let starts: Promise<void> = Promise.resolve();
  const admit = (key: string): Promise<void> => {
    const turn = starts.then(async () => {
      const at = key === lastKey ? now() : lastStart + spacingMs;
      const wait = at - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastKey = key;
      lastStart = now();
    });
    starts = turn.catch(() => undefined);
    return turn;
  };
  return <T>(key: string, fn: () => Promise<T>): Promise<T> =>
    limit(async () => {
      await admit(key);
      return fn();
    });
}
