// The bare reference for master-load benchmarks: the same entries as the benchmark list, fed to one
// plain `ipset restore -exist` (one hash:net set per family), as an operator would by hand.

/** Entries of a list text (first column of non-comment lines). */
export function listEntries(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const e = line.replace(/#.*/, '').trim().split(/\s+/)[0];
    if (e) out.push(e);
  }
  return out;
}

/** `ipset restore` input holding the entries in sets <prefix>4 and <prefix>6. */
export function bareRestore(entries: string[], prefix = 'ref'): string[] {
  const max = Math.max(65536, entries.length * 2);
  const chunks: string[] = [
    `create ${prefix}4 hash:net family inet maxelem ${max}\ncreate ${prefix}6 hash:net family inet6 maxelem ${max}\n`,
  ];
  let buf: string[] = [];
  for (const e of entries) {
    buf.push(`add ${prefix}${e.includes(':') ? 6 : 4} ${e}`);
    if (buf.length === 5000) {
      chunks.push(buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) chunks.push(buf.join('\n') + '\n');
  return chunks;
}
