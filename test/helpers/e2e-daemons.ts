// Real Debian daemons on the e2e lab's private host, each with a private config, pid file and log
// dir under the lab dir, logging to the private /dev/log (so rsyslog routes them to the module
// FIFOs): OpenSSH, Postfix (+ Dovecot SASL), Dovecot (IMAP, POP3), nginx (two vhosts).
// Never touches /etc/<daemon> or the root namespace; every daemon is stopped by PID in teardown.
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Scope } from './e2e-scope.js';
import type { E2ELab } from './e2e-lab.js';
import type { LabProcess } from './e2e-proc.js';

export interface Daemon {
  proc: LabProcess;
  /** TCP ports it listens on in the server namespace */
  ports: number[];
  /** its private directory under the lab dir */
  dir: string;
  /** ms from spawn until every port listened */
  startMs: number;
}

function uidOf(lab: E2ELab, user: string): { uid: number; gid: number } {
  const line = readFileSync(path.join(lab.dir, 'etc', 'passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`user ${user} does not exist (is its Debian package installed?)`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function mkdirs(...dirs: string[]): void {
  for (const d of dirs) mkdirSync(d, { recursive: true, mode: 0o755 });
}

async function started(lab: E2ELab, proc: LabProcess, ports: number[], dir: string, t0: number, timeoutMs = 30_000): Promise<Daemon> {
  await lab.waitListening(ports, { proc, timeoutMs });
  return { proc, ports, dir, startMs: Date.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// OpenSSH

export interface SshdOptions {
  port?: number;
  /** extra sshd_config lines (e.g. "MaxAuthTries 3") */
  extra?: string[];
}

/** sshd -D with a private host key and config on port 22 (v4 + v6); logs to syslog (AUTH). */
export async function startSshd(scope: Scope, lab: E2ELab, opts: SshdOptions = {}): Promise<Daemon> {
  const dir = path.join(lab.dir, 'sshd');
  mkdirs(dir);
  const key = path.join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(key)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'e2e-lab', '-f', key], { stdio: 'ignore' });
  const port = opts.port ?? 22;
  const conf = path.join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'ListenAddress 0.0.0.0',
      'ListenAddress ::',
      `HostKey ${key}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'UsePAM yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'PrintMotd no',
      'SyslogFacility AUTH',
      'LogLevel INFO',
      ...(opts.extra ?? []),
      '',
    ].join('\n'),
  );
  const t0 = Date.now();
  // sshd re-executes itself: it needs its absolute path. -D: foreground, still logging to syslog.
  const proc = lab.spawnDaemon('sshd', ['/usr/sbin/sshd', '-D', '-f', conf], {}, scope);
  return started(lab, proc, [port], dir, t0);
}

// ---------------------------------------------------------------------------------------------
// Postfix + Dovecot

export const MAIL_DOMAIN = 'mail.example';

export interface MailOptions {
  /** Dovecot auth_verbose (Debian's default is no): adds the "auth-worker ... pam(user,ip)" lines */
  authVerbose?: boolean;
  /** extra main.cf lines */
  postfixMain?: string[];
}

export interface MailStack {
  postfix: Daemon;
  dovecot: Daemon;
}

function postfixDirs(lab: E2ELab): { dir: string; etc: string; queue: string; data: string } {
  const dir = path.join(lab.dir, 'postfix');
  const etc = path.join(dir, 'etc');
  const queue = path.join(dir, 'queue');
  const data = path.join(dir, 'data');
  if (!existsSync(data)) {
    mkdirs(etc, queue, data);
    const pf = uidOf(lab, 'postfix');
    chownSync(data, pf.uid, pf.gid);
    // private/ must exist before Dovecot puts its auth socket there; Postfix creates the rest.
    mkdirSync(path.join(queue, 'private'), { mode: 0o700 });
    chownSync(path.join(queue, 'private'), pf.uid, 0);
  }
  return { dir, etc, queue, data };
}

/**
 * Dovecot (dovecot -F) with a private config: IMAP 143 and POP3 110 in plaintext (ssl = no,
 * disable_plaintext_auth = no), PAM passdb (the test user), base_dir in the private /run, and an
 * auth socket for Postfix SASL in Postfix's queue dir (private/auth). Logs to syslog (mail).
 */
export async function startDovecot(scope: Scope, lab: E2ELab, opts: MailOptions = {}): Promise<Daemon> {
  const pfx = postfixDirs(lab);
  const dir = path.join(lab.dir, 'dovecot');
  mkdirs(path.join(dir, 'state'));
  const conf = path.join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `# e2e lab Dovecot: private config, Debian defaults where they matter for the logs
protocols = imap pop3
listen = *, ::
base_dir = /run/dovecot
state_dir = ${path.join(dir, 'state')}
log_path = syslog
syslog_facility = mail
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_verbose = ${opts.authVerbose ? 'yes' : 'no'}
ssl = no
mail_location = maildir:~/Maildir
first_valid_uid = 1000
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  unix_listener ${path.join(pfx.queue, 'private', 'auth')} {
    mode = 0660
    user = postfix
    group = postfix
  }
}
`,
  );
  const t0 = Date.now();
  const proc = lab.spawnDaemon('dovecot', ['/usr/sbin/dovecot', '-F', '-c', conf], {}, scope);
  return started(lab, proc, [143, 110], dir, t0);
}

const MASTER_CF = `# e2e lab Postfix: no chroot (the lab has no chroot tree), submission with SASL via Dovecot
smtp       inet  n       -       n       -       -       smtpd
submission inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=none
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
local      unix  -       n       n       -       -       local
virtual    unix  -       n       n       -       -       virtual
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
`;

/**
 * Postfix (`postfix -c DIR start-fg`) with a private config and queue: smtpd on 25 (relay only for
 * mynetworks and SASL users), submission on 587 with SASL through Dovecot (no TLS, so swaks needs no
 * TLS module). Logs to syslog as postfix/... Start Dovecot too (startMailStack) for SASL.
 */
export async function startPostfix(scope: Scope, lab: E2ELab, opts: MailOptions = {}): Promise<Daemon> {
  const { dir, etc, queue, data } = postfixDirs(lab);
  writeFileSync(
    path.join(etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      `myhostname = ${MAIL_DOMAIN}`,
      'mydomain = example',
      `myorigin = ${MAIL_DOMAIN}`,
      `mydestination = ${MAIL_DOMAIN}, localhost`,
      'mynetworks = 127.0.0.0/8 [::1]/128',
      'inet_interfaces = all',
      'inet_protocols = all',
      'alias_maps =',
      'alias_database =',
      'smtpd_banner = $myhostname ESMTP',
      'biff = no',
      'smtpd_sasl_type = dovecot',
      'smtpd_sasl_path = private/auth',
      'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
      // no resolver is reachable from the lab: never wait for DNS
      'disable_dns_lookups = yes',
      'smtp_dns_support_level = disabled',
      'maillog_file =',
      ...(opts.postfixMain ?? []),
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(etc, 'master.cf'), MASTER_CF);
  const pidFile = path.join(queue, 'pid', 'master.pid');
  const mainPid = () => {
    try {
      const n = Number(readFileSync(pidFile, 'utf8').trim());
      return Number.isInteger(n) && n > 1 ? n : null;
    } catch {
      return null;
    }
  };
  const t0 = Date.now();
  // start-fg: postfix-script stays in the foreground; master (in the pid file) is what stop signals.
  const proc = lab.spawnDaemon('postfix', ['/usr/sbin/postfix', '-c', etc, 'start-fg'], { mainPid }, scope);
  return started(lab, proc, [25, 587], dir, t0, 40_000);
}

/** Postfix and Dovecot together (Dovecot first: it provides Postfix's SASL socket). */
export async function startMailStack(scope: Scope, lab: E2ELab, opts: MailOptions = {}): Promise<MailStack> {
  const [dovecot, postfix] = await Promise.all([startDovecot(scope, lab, opts), startPostfix(scope, lab, opts)]);
  return { dovecot, postfix };
}

// ---------------------------------------------------------------------------------------------
// nginx

export const VHOST_A = 'a.example';
export const VHOST_B = 'b.example';

export interface NginxOptions {
  /** limit_req rate per client address (default 5r/s) and burst (default 10, nodelay) */
  rate?: string;
  burst?: number;
}

export interface Nginx extends Daemon {
  /** basic-auth credentials valid on a.example/private/ */
  authUser: string;
  authPassword: string;
  /** the same lines as the syslog copies, in files (Watcher can also read these as file sources) */
  accessLog: string;
  errorLog: string;
}

/**
 * nginx (daemon off) on port 80 (v4 + v6) with two vhosts: a.example (basic auth on /private/) and
 * b.example, a limit_req zone on both, the `watcher` access log format. Access lines go to syslog
 * with tag nginx, error lines (level error, as Debian's default) with tag nginx_error; both also to
 * files (error file at level info).
 */
export async function startNginx(scope: Scope, lab: E2ELab, opts: NginxOptions = {}): Promise<Nginx> {
  const dir = path.join(lab.dir, 'nginx');
  const www = path.join(lab.dir, 'www');
  mkdirs(path.join(dir, 'tmp'), path.join(www, 'a', 'private'), path.join(www, 'b'));
  writeFileSync(path.join(www, 'a', 'index.html'), 'hello from a.example\n');
  writeFileSync(path.join(www, 'a', 'private', 'index.html'), 'private a.example\n');
  writeFileSync(path.join(www, 'b', 'index.html'), 'hello from b.example\n');
  const authUser = 'admin';
  const authPassword = 'Adm1n-e2e-pass';
  const hash = execFileSync('openssl', ['passwd', '-apr1', authPassword], { encoding: 'utf8' }).trim();
  const htpasswd = path.join(dir, 'htpasswd');
  writeFileSync(htpasswd, `${authUser}:${hash}\n`, { mode: 0o644 });
  const accessLog = path.join(dir, 'access.log');
  const errorLog = path.join(dir, 'error.log');
  const rate = opts.rate ?? '5r/s';
  const burst = opts.burst ?? 10;
  // nohostname: the local rsyslog adds the host itself; without it the tag would read "mail".
  const sys = (tag: string) => `syslog:server=unix:/dev/log,facility=local7,tag=${tag},severity=info,nohostname`;
  const tmp = (n: string) => path.join(dir, 'tmp', n);
  const conf = path.join(dir, 'nginx.conf');
  const vhost = (name: string, root: string, extra: string) => `
  server {
    listen 80${name === VHOST_A ? ' default_server' : ''};
    listen [::]:80${name === VHOST_A ? ' default_server' : ''};
    server_name ${name};
    root ${root};
    limit_req zone=flood burst=${burst} nodelay;${extra}
  }`;
  writeFileSync(
    conf,
    `# e2e lab nginx: private config
user www-data;
worker_processes 1;
daemon off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${sys('nginx_error')} error;
error_log ${errorLog} info;
events {
  worker_connections 512;
}
http {
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  default_type text/plain;
  server_tokens off;
  log_format watcher '$host $remote_addr - $remote_user [$time_local] "$request" '
                     '$status $body_bytes_sent "$http_referer" "$http_user_agent"';
  access_log ${sys('nginx')} watcher;
  access_log ${accessLog} watcher;
  limit_req_zone $binary_remote_addr zone=flood:1m rate=${rate};
  limit_req_status 503;
${vhost(
  VHOST_A,
  path.join(www, 'a'),
  `
    location /private/ {
      auth_basic "a.example private";
      auth_basic_user_file ${htpasswd};
    }`,
)}
${vhost(VHOST_B, path.join(www, 'b'), '')}
}
`,
  );
  const t0 = Date.now();
  const proc = lab.spawnDaemon('nginx', ['/usr/sbin/nginx', '-e', path.join(dir, 'startup-error.log'), '-c', conf], {}, scope);
  const d = await started(lab, proc, [80], dir, t0);
  return { ...d, authUser, authPassword, accessLog, errorLog };
}
