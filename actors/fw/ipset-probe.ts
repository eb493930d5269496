// What the ipset backend needs from the host: its programs, and a kernel that can make hash:net sets.
// Reports what is missing with the fix; changes nothing except a scratch set it destroys again.
import type { Exec } from '../../src/adapters/exec.js';
import { WatcherError } from '../../src/core/errors.js';
import type { MissingPiece } from './backend.js';
import { fixFor, looksMissing, runChecked } from './ipset-run.js';

const PROGRAMS = ['ipset', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore'] as const;

/** Creates and destroys a scratch set of each family (after removing one a crash may have left). */
const SCRATCH = [
  'destroy wt-probe',
  'create wt-probe hash:net family inet',
  'destroy wt-probe',
  'create wt-probe hash:net family inet6',
  'destroy wt-probe',
  '',
].join('\n');

async function present(exec: Exec, cmd: string): Promise<boolean> {
  try {
    return !looksMissing(await exec.run(cmd, ['--version'], { timeoutMs: 10_000 }));
  } catch {
    return false; // spawn failed: not on PATH
  }
}

export async function probeIpset(exec: Exec): Promise<MissingPiece[]> {
  const found = await Promise.all(PROGRAMS.map((cmd) => present(exec, cmd)));
  const missing: MissingPiece[] = PROGRAMS.filter((_, i) => !found[i]).map((cmd) => ({
    what: `the ${cmd} program`,
    fix: fixFor(cmd),
  }));
  if (found[0]) {
    try {
      await runChecked(exec, 'ipset', ['-exist', 'restore'], { input: SCRATCH, timeoutMs: 10_000 });
    } catch (e) {
      const why = e instanceof WatcherError ? e.message : String(e);
      missing.push({
        what: `kernel support for ipset hash:net sets (${why})`,
        fix: 'modprobe ip_set_hash_net (a stock Debian kernel ships it: apt-get install linux-image-amd64); run as root',
      });
    }
  }
  return missing;
}
