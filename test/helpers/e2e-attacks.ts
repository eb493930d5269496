// Attack tools and good clients, run in the peer namespace from chosen source addresses against the
// e2e lab's server: hydra (ssh, imap, pop3), swaks (relay attempts, SASL AUTH), curl (basic auth,
// scanner paths, a request flood), sshpass + ssh (a good login), and fresh TCP connect probes.
// Every run is bounded (attempt count and a timeout that kills the tool's process group).
import { SERVER4, SERVER6, wordList, type E2ELab } from './e2e-lab.js';
import { VHOST_A, VHOST_B } from './e2e-daemons.js';
import { sleep, type RunResult } from './e2e-proc.js';

/** Passwords hydra tries; never the test user's. */
export const WRONG_PASSWORDS = ['123456', 'password', 'qwerty', 'letmein', 'dragon', 'monkey', 'abc123', 'iloveyou', 'trustno1', 'sunshine', 'princess', 'football'];

export const serverFor = (src: string) => (src.includes(':') ? SERVER6 : SERVER4);
const urlHost = (src: string) => (src.includes(':') ? `[${SERVER6}]` : SERVER4);

export interface HydraOptions {
  /** wrong passwords to try (default 6) */
  attempts?: number;
  /** login name (default the lab's test user) */
  user?: string;
  /** several login names (hydra -L): attempts passwords for each */
  users?: string[];
  /** append the right password (hydra then reports 1 valid password found and stops) */
  includeCorrect?: boolean;
  /** parallel tasks (default 4, hydra -t) */
  tasks?: number;
  /** kill hydra (and its forked tasks) after this long (default 90 s); after a DROP ban it hangs */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HydraResult extends RunResult {
  /** "N valid password(s) found" from hydra's summary, or null when it never printed one */
  found: number | null;
}

let listCounter = 0;

/**
 * hydra -I -t 4 against one service of the server, from src. hydra cannot bind a source address,
 * so the lab's source route for the server is pointed at src while it runs (serialised per lab).
 */
export async function hydraAttack(lab: E2ELab, service: 'ssh' | 'imap' | 'pop3', src: string, opts: HydraOptions = {}): Promise<HydraResult> {
  lab.addSource(src);
  const words = WRONG_PASSWORDS.slice(0, opts.attempts ?? 6);
  if (opts.includeCorrect) words.push(lab.user.password);
  const pwList = wordList(lab, `pw-${listCounter++}.txt`, words);
  const login = opts.users ? ['-L', wordList(lab, `users-${listCounter++}.txt`, opts.users)] : ['-l', opts.user ?? lab.user.name];
  const v6 = src.includes(':');
  const argv = [
    'hydra',
    '-I', // ignore a restore file: hydra would otherwise wait 10 s
    '-t',
    String(opts.tasks ?? 4),
    ...(opts.includeCorrect ? ['-f'] : []),
    ...(v6 ? ['-6'] : []),
    ...login,
    '-P',
    pwList,
    `${service}://${urlHost(src)}`,
  ];
  const res = await lab.withSourceRoute(src, () =>
    lab.peerRun(argv, { cwd: `${lab.dir}/tools`, timeoutMs: opts.timeoutMs ?? 90_000, ...(opts.signal ? { signal: opts.signal } : {}) }),
  );
  const m = /(\d+) valid passwords? found/.exec(res.stdout);
  return { ...res, found: m ? Number(m[1]) : null };
}

export const attackSsh = (lab: E2ELab, src: string, opts: HydraOptions = {}) => hydraAttack(lab, 'ssh', src, opts);
export const attackImap = (lab: E2ELab, src: string, opts: HydraOptions = {}) => hydraAttack(lab, 'imap', src, opts);
export const attackPop3 = (lab: E2ELab, src: string, opts: HydraOptions = {}) => hydraAttack(lab, 'pop3', src, opts);

export interface SshLoginResult extends RunResult {
  ok: boolean;
}

/** A good (or bad) client: sshpass + ssh from src with a password, running `id -un`. */
export async function sshLogin(lab: E2ELab, src: string, opts: { password?: string; user?: string; timeoutMs?: number } = {}): Promise<SshLoginResult> {
  lab.addSource(src);
  const user = opts.user ?? lab.user.name;
  const res = await lab.peerRun(
    [
      'sshpass',
      '-p',
      opts.password ?? lab.user.password,
      'ssh',
      '-F',
      '/dev/null',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'ConnectTimeout=5',
      '-o',
      'PreferredAuthentications=password',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'NumberOfPasswordPrompts=1',
      '-b',
      src,
      `${user}@${serverFor(src)}`,
      'id -un',
    ],
    { timeoutMs: opts.timeoutMs ?? 20_000 },
  );
  return { ...res, ok: res.code === 0 && res.stdout.trim() === user };
}

/**
 * A good (or bad) mail client: curl logs in over IMAP (lists the mailboxes) or POP3 (lists the
 * messages) from src. ok when curl succeeded.
 */
export async function mailLogin(
  lab: E2ELab,
  src: string,
  proto: 'imap' | 'pop3',
  opts: { password?: string; user?: string; timeoutMs?: number } = {},
): Promise<RunResult & { ok: boolean }> {
  lab.addSource(src);
  const res = await lab.peerRun(
    ['curl', '-sS', '-g', '--interface', src, '--connect-timeout', '3', '--max-time', '30', '-u', `${opts.user ?? lab.user.name}:${opts.password ?? lab.user.password}`, `${proto}://${urlHost(src)}/`],
    { timeoutMs: opts.timeoutMs ?? 40_000 },
  );
  return { ...res, ok: res.code === 0 };
}

export interface SwaksRun extends RunResult {
  /** the last line the server sent (e.g. "<** 554 5.7.1 <victim@elsewhere.example>: Relay access denied") */
  reply: string;
}

function lastReply(out: string): string {
  const lines = out.split('\n').filter((l) => /^<[*~-]*\s/.test(l) || /^<\*\*/.test(l));
  const bad = lines.filter((l) => l.startsWith('<**'));
  return (bad.at(-1) ?? lines.at(-1) ?? '').trim();
}

async function swaks(lab: E2ELab, src: string, args: string[], timeoutMs: number): Promise<SwaksRun> {
  lab.addSource(src);
  const res = await lab.peerRun(['swaks', '--server', serverFor(src), '--local-interface', src, '--timeout', '20s', ...args], { timeoutMs });
  return { ...res, reply: lastReply(res.stdout + res.stderr) };
}

/** count relay attempts (one connection each) on port 25: MAIL from an outsider, RCPT to an outside domain. */
export async function swaksRelay(lab: E2ELab, src: string, opts: { count?: number; timeoutMs?: number } = {}): Promise<SwaksRun[]> {
  const runs: SwaksRun[] = [];
  for (let i = 0; i < (opts.count ?? 3); i++) {
    runs.push(
      await swaks(
        lab,
        src,
        ['--port', '25', '--helo', 'spammer.example', '--from', `spam${i}@spammer.example`, '--to', `victim${i}@elsewhere.example`, '--quit-after', 'RCPT'],
        opts.timeoutMs ?? 30_000,
      ),
    );
  }
  return runs;
}

/**
 * count SMTP AUTH attempts (one connection each) on submission (587) through Dovecot SASL; wrong
 * password unless given. Dovecot's auth penalty slows each further failure from one address
 * (2, 4, 8 ... up to 15 s), hence the generous timeout.
 */
export async function swaksAuth(
  lab: E2ELab,
  src: string,
  opts: { count?: number; user?: string; password?: string; mech?: 'LOGIN' | 'PLAIN'; timeoutMs?: number } = {},
): Promise<SwaksRun[]> {
  const runs: SwaksRun[] = [];
  for (let i = 0; i < (opts.count ?? 2); i++) {
    runs.push(
      await swaks(
        lab,
        src,
        [
          '--port',
          '587',
          '--helo',
          'client.example',
          '--auth',
          opts.mech ?? 'LOGIN',
          '--auth-user',
          opts.user ?? lab.user.name,
          '--auth-password',
          opts.password ?? WRONG_PASSWORDS[i % WRONG_PASSWORDS.length]!,
          '--quit-after',
          'AUTH',
        ],
        opts.timeoutMs ?? 60_000,
      ),
    );
  }
  return runs;
}

export interface CurlOptions {
  vhost?: string;
  user?: string;
  password?: string;
  timeoutMs?: number;
  /** fresh connection per request (default: one curl, keep-alive, like most scanners) */
  separate?: boolean;
  /** User-Agent (default curl's own) */
  userAgent?: string;
}

/** GETs each path in one curl process from src; resolves with one HTTP status per request (0 = none). */
export async function curlPaths(lab: E2ELab, src: string, paths: string[], opts: CurlOptions = {}): Promise<number[]> {
  lab.addSource(src);
  const base = [
    'curl',
    '-sS',
    '-g',
    '--interface',
    src,
    '--connect-timeout',
    '3',
    '--max-time',
    '10',
    ...(opts.userAgent ? ['-A', opts.userAgent] : []),
    '-H',
    `Host: ${opts.vhost ?? VHOST_A}`,
    '-w',
    '%{http_code}\\n',
    ...(opts.user !== undefined ? ['-u', `${opts.user}:${opts.password ?? ''}`] : []),
  ];
  const urls = paths.flatMap((p) => ['-o', '/dev/null', `http://${urlHost(src)}${p}`]);
  const batches = opts.separate ? paths.map((_, i) => urls.slice(i * 3, i * 3 + 3)) : [urls];
  const codes: number[] = [];
  for (const b of batches) {
    const res = await lab.peerRun([...base, ...b], { timeoutMs: opts.timeoutMs ?? 30_000 });
    codes.push(...res.stdout.split('\n').filter(Boolean).map(Number));
  }
  return codes;
}

/** count basic-auth failures on a.example/private/ (user admin or the unknown "ghost", wrong passwords), one connection each. */
export async function curlBasicAuth(lab: E2ELab, src: string, opts: { count?: number; user?: string; password?: string } = {}): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < (opts.count ?? 3); i++) {
    const user = opts.user ?? (i % 2 === 0 ? 'admin' : 'ghost');
    const password = opts.password ?? WRONG_PASSWORDS[i % WRONG_PASSWORDS.length]!;
    codes.push(...(await curlPaths(lab, src, ['/private/'], { vhost: VHOST_A, user, password })));
  }
  return codes;
}

/** Paths vulnerability scanners probe. */
export const SCANNER_PATHS = ['/wp-login.php', '/.env', '/phpmyadmin/index.php', '/.git/config', '/xmlrpc.php', '/cgi-bin/luci'];

export const SCANNER_UA = 'Mozilla/5.0 zgrab/0.x';

/** A scanner on b.example: the well-known paths, over one keep-alive connection, with a scanner's User-Agent. */
export function curlScan(lab: E2ELab, src: string, opts: { paths?: string[]; vhost?: string; userAgent?: string } = {}): Promise<number[]> {
  return curlPaths(lab, src, opts.paths ?? SCANNER_PATHS, { vhost: opts.vhost ?? VHOST_B, userAgent: opts.userAgent ?? SCANNER_UA });
}

/** A request flood on b.example: requests GETs as fast as one keep-alive connection goes (bounded). */
export function curlFlood(lab: E2ELab, src: string, opts: { requests?: number; vhost?: string } = {}): Promise<number[]> {
  const n = opts.requests ?? 40;
  return curlPaths(
    lab,
    src,
    Array.from({ length: n }, (_, i) => `/?page=${i}`),
    { vhost: opts.vhost ?? VHOST_B },
  );
}

export type Probe = 'open' | 'blocked' | 'refused';

/** One fresh TCP connect from src to the server's port: a DROP ban shows as "blocked" (timeout). */
export async function connectProbe(lab: E2ELab, src: string, port: number, timeoutMs = 1000): Promise<Probe> {
  lab.addSource(src);
  return (await lab.net.connect(src, serverFor(src), port, timeoutMs)) as Probe;
}

/** Polls fresh connects until src is blocked on port; resolves with the ms it took, rejects after timeoutMs. */
export async function waitBlocked(lab: E2ELab, src: string, port: number, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  let last: Probe = 'open';
  while (Date.now() - t0 < timeoutMs) {
    last = await connectProbe(lab, src, port, 500);
    if (last === 'blocked') return Date.now() - t0;
    await sleep(100);
  }
  throw new Error(`${src} still ${last} on port ${port} after ${timeoutMs} ms`);
}
