// Resolves a group name (or number) to its gid from /etc/group, for the control socket's group.
// Node has no getgrnam; the file format is stable (name:password:gid:members).
import { readFileSync } from 'node:fs';

/** The gid of `group` (a name or a number); undefined when no such group exists. */
export function gidOf(group: string, groupFile = '/etc/group'): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
