// Finds the `, client: X` / `, server: X` fields nginx appends to error lines. Must never pick a forged
// copy: the text before and after them is client-influenced, so a field seen twice is left unread.

/**
 * The value of `, <name>: value` up to the next `,` or end, when `, <name>: ` occurs exactly once in
 * s[from, end); undefined when absent, repeated (one copy is forged and which one cannot be told) or empty.
 */
export function uniqueTailField(s: string, marker: string, from: number, end: number): string | undefined {
  const at = s.indexOf(marker, from);
  if (at < 0 || at >= end) return undefined;
  const again = s.indexOf(marker, at + 1);
  if (again >= 0 && again < end) return undefined;
  const v = at + marker.length;
  let e = s.indexOf(',', v);
  if (e < 0 || e > end) e = end;
  return e > v ? s.slice(v, e) : undefined;
}
