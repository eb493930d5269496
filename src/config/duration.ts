// Parses the durations written in config files ("90s", "5m", "1h30m", "7d", "2w", or a number of
// seconds) into milliseconds. Pure; a bad duration is a message for the caller to place, never a throw.

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

const HINT = 'write a number of seconds or a duration such as 90s, 5m, 1h30m, 7d, 2w';
// One or more "<number><unit>" parts; "ms" must come before "m" so the alternation does not split it.
const WHOLE = /^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$/;
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g;
const BARE_SECONDS = /^\d+(?:\.\d+)?$/;

/** Converts a config duration into whole milliseconds. */
export function parseDuration(input: unknown): DurationResult {
  if (typeof input === 'number') return fromSeconds(input, String(input));
  if (typeof input !== 'string') return { ok: false, message: `expected a duration, got ${describe(input)}: ${HINT}` };
  const text = input.trim();
  if (text === '') return { ok: false, message: `empty duration: ${HINT}` };
  if (BARE_SECONDS.test(text)) return fromSeconds(Number(text), text);
  if (!WHOLE.test(text)) return { ok: false, message: `"${input}" is not a duration: ${HINT}` };
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit as Unit];
  return wholeMs(ms, text);
}

function fromSeconds(seconds: number, text: string): DurationResult {
  if (!Number.isFinite(seconds)) return { ok: false, message: `"${text}" is not a duration: ${HINT}` };
  if (seconds < 0) return { ok: false, message: `duration "${text}" is negative` };
  return wholeMs(seconds * 1_000, text);
}

// Floating point makes 1.001 * 1000 come out as 1000.9999…; anything finer than a millisecond is a typo.
function wholeMs(ms: number, text: string): DurationResult {
  const rounded = Math.round(ms);
  if (Math.abs(ms - rounded) > 1e-6) return { ok: false, message: `duration "${text}" is finer than a millisecond` };
  if (!Number.isSafeInteger(rounded)) return { ok: false, message: `duration "${text}" is too long` };
  return { ok: true, ms: rounded };
}

function describe(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${String(value)}`;
}
