// Fills the @NAME@ placeholders of the templates in conf/ (pure). A placeholder without a value is
// an error, so a template and its renderer cannot drift apart silently.

export function render(template: string, values: Readonly<Record<string, string>>, name: string): string {
  const missing = new Set<string>();
  const out = template.replace(/@([A-Z][A-Z0-9_]*)@/g, (whole, key: string) => {
    const v = values[key];
    if (v === undefined) {
      missing.add(key);
      return whole;
    }
    return v;
  });
  if (missing.size > 0) throw new Error(`${name}: no value for ${[...missing].map((k) => `@${k}@`).join(', ')}`);
  return out;
}

/** One word of a systemd command line: quoted when it holds anything but plain path characters. */
export function systemdWord(s: string): string {
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** One word of a POSIX shell command line. */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
