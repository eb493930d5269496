// Who may use the control socket: by default only root (mode 0600), so `nobody` gets "permission
// denied" and exit code 1; with control.group set the socket is 0660 with that group and its
// members may use watcherctl. Runs the client as nobody through setpriv; needs root.
import test from 'ava';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { which } from '../../src/adapters/exec.js';
import { daemonDirs, distBuilt, runDaemon } from '../helpers/daemon.js';
import { ctl } from '../helpers/ctl.js';

const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const why = process.getuid?.() !== 0 ? 'not root: needs root to own the socket and to become nobody' : which('setpriv') === null ? 'setpriv (util-linux) is not installed' : distBuilt();

function setup(t: Parameters<typeof daemonDirs>[0], extra: string) {
  const dirs = daemonDirs(t, `firewall:\n  backend: dry-run\n${extra}`);
  writeFileSync(dirs.whitelist, '');
  writeFileSync(dirs.blacklist, '');
  chmodSync(dirs.root, 0o755); // nobody must reach the socket's directory; the socket decides
  return { dirs, socket: path.join(dirs.run, 'watcher.sock') };
}

if (why) {
  console.log(`SKIP control socket permission tests: ${why}`);
  test.skip('control socket permissions', () => undefined);
} else {
  test.serial('a non-root user cannot use the socket (0600 root): permission denied, exit 1', async (t) => {
    const { dirs, socket } = setup(t, '');
    const d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    const st = statSync(socket);
    t.is(st.mode & 0o777, 0o600);
    t.is(st.uid, 0);
    t.is((await ctl(dirs, ['status'])).code, 0, 'root may');
    const r = await ctl(dirs, ['status'], { wrap: NOBODY });
    t.is(r.code, 1, r.out);
    t.regex(r.stderr, /permission denied on .*watcher\.sock: run as root, or as a member of the group named by control\.group/);
    const b = await ctl(dirs, ['ban', '203.0.113.5'], { wrap: NOBODY });
    t.is(b.code, 1);
    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
  });

  test.serial('control.group: the socket is 0660 with that group, and its members may use it', async (t) => {
    const { dirs, socket } = setup(t, 'control:\n  group: nogroup\n');
    const d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    const st = statSync(socket);
    t.is(st.mode & 0o777, 0o660);
    t.is(st.gid, 65534);
    const r = await ctl(dirs, ['status', '--json'], { wrap: NOBODY });
    t.is(r.code, 0, r.out);
    t.is(JSON.parse(r.stdout).backend, 'dry-run');
    const other = await ctl(dirs, ['status'], { wrap: ['setpriv', '--reuid=nobody', '--regid=65533', '--clear-groups'] });
    t.is(other.code, 1, 'a user outside the group still may not');
    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
  });

  test.serial('an unknown control.group keeps the socket root only and says so', async (t) => {
    const { dirs, socket } = setup(t, 'control:\n  group: no-such-group-here\n');
    const d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    t.regex(d.output(), /control\.group "no-such-group-here" does not exist: the control socket stays root only/);
    t.is(statSync(socket).mode & 0o777, 0o600);
    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
  });
}
