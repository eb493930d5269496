// Reads /etc/os-release text into a distribution family (pure: the caller reads the file).
// Never guesses beyond ID and ID_LIKE: an unknown system gets the generic family.

export type DistroFamily = 'debian' | 'rhel' | 'suse' | 'unknown';

export interface OsRelease {
  id: string;
  idLike: string[];
  pretty: string;
  family: DistroFamily;
}

/** Parses KEY=value lines (values optionally quoted) as os-release(5) describes them. */
export function parseOsRelease(text: string): OsRelease {
  const v = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
    v.set(m[1]!, value.replace(/\\(["'$`\\])/g, '$1'));
  }
  const id = (v.get('ID') ?? '').toLowerCase();
  const idLike = (v.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter((s) => s !== '');
  return { id, idLike, pretty: v.get('PRETTY_NAME') ?? (id || 'unknown Linux'), family: familyOf([id, ...idLike]) };
}

function familyOf(ids: string[]): DistroFamily {
  for (const id of ids) {
    if (id === 'debian' || id === 'ubuntu') return 'debian';
    if (['rhel', 'centos', 'fedora', 'rocky', 'almalinux', 'ol'].includes(id)) return 'rhel';
    if (id === 'suse' || id.startsWith('opensuse') || id === 'sles') return 'suse';
  }
  return 'unknown';
}
