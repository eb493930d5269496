// `watcher prep` and `watcher unprep`: check the host, install configuration, service and log
// plumbing (planned by src/install/plan.ts, applied by src/install/apply.ts), or remove them again.
// Exit codes: 0 ok, 1 error, 2 usage, 4 installed but a required prerequisite is missing.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Exec } from '../adapters/exec.js';
import { DAEMON_NODE_FLAGS } from '../daemon/node-flags.js';
import { sshClientAddress, whitelistableHostAddresses } from '../install/addresses.js';
import { applyPlan, formatSteps } from '../install/apply.js';
import { gatherFacts, interfaceAddresses } from '../install/facts.js';
import { packageDir, readTemplates } from '../install/package-dir.js';
import { planPrep, type InitSystem } from '../install/plan.js';
import { checkHost, formatChecks } from '../install/prereq.js';
import { SYSTEMD_UNIT } from '../install/layout.js';
import { formatUnprep, unprep } from '../install/unprep.js';

export const EXIT_PREREQUISITES = 4;

const prepOptions = {
  root: { type: 'string' },
  'dry-run': { type: 'boolean' },
  init: { type: 'string' },
  purge: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Bad command line: watcher prints the verb's help and exits 2. */
export class PrepUsageError extends Error {}

export function parsePrepArgs(verb: 'prep' | 'unprep', argv: string[]) {
  try {
    return parseChecked(verb, argv);
  } catch (e) {
    throw e instanceof PrepUsageError ? e : new PrepUsageError(e instanceof Error ? e.message : String(e));
  }
}

function parseChecked(verb: 'prep' | 'unprep', argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, options: prepOptions, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new Error(`${verb}: unexpected argument "${positionals[0]}"`);
  if (verb === 'prep' && values.purge) throw new Error('prep: --purge belongs to unprep');
  if (verb === 'unprep' && values.init !== undefined) throw new Error('unprep: --init belongs to prep');
  const init = values.init ?? 'auto';
  if (!['auto', 'systemd', 'sysv'].includes(init)) throw new Error(`--init must be auto, systemd or sysv, not "${init}"`);
  return {
    root: path.resolve(values.root ?? '/'),
    dryRun: values['dry-run'] === true,
    purge: values.purge === true,
    init: init as InitSystem | 'auto',
    help: values.help === true,
  };
}

export async function runPrep(argv: string[]): Promise<number> {
  const o = parsePrepArgs('prep', argv);
  const facts = gatherFacts(o.root);
  const checks = checkHost(facts.host);
  const init: InitSystem = o.init !== 'auto' ? o.init : facts.systemd ? 'systemd' : 'sysv';
  const rootNote = o.root === '/' ? '' : ` under ${o.root}`;
  console.log(`watcher prep${o.dryRun ? ' (dry run: nothing is written)' : ''}${rootNote}: ${facts.os.pretty} (${facts.os.family}), ${init}`);
  console.log(`prerequisites:\n${formatChecks(checks)}`);

  const pkg = packageDir();
  const actions = planPrep({
    os: facts.os,
    init,
    node: realpathSync(process.execPath),
    nodeFlags: DAEMON_NODE_FLAGS,
    packageDir: pkg,
    templates: readTemplates(pkg),
    hostAddresses: whitelistableHostAddresses(interfaceAddresses()),
    sshClient: sshClientAddress(process.env),
    rsyslog: facts.rsyslog,
    syslogNg: facts.syslogNg,
  });
  let result;
  try {
    result = applyPlan(o.root, actions, { dryRun: o.dryRun });
  } catch (e) {
    return fsFailure('prep', e);
  }
  console.log(`${o.dryRun ? 'plan' : 'installation'}:\n${formatSteps(result.steps, o.dryRun)}`);
  if (!facts.rsyslog) console.log('  (no /etc/rsyslog.d: rsyslog snippet not installed)');
  if (!facts.syslogNg) console.log('  (no /etc/syslog-ng: syslog-ng snippet not installed)');

  const unitChanged = result.steps.some((s) => s.path === SYSTEMD_UNIT && (s.outcome === 'create' || s.outcome === 'update'));
  if (!o.dryRun && unitChanged && o.root === '/' && facts.systemd) await systemctl(['daemon-reload']);
  console.log(`\n${nextSteps(init, facts.rsyslog, facts.syslogNg)}`);

  const missing = checks.filter((c) => !c.ok && c.level === 'required');
  if (missing.length > 0) {
    console.log(`\n${missing.length} required prerequisite(s) missing (see "fix:" above); Watcher will not work until they are installed.`);
    return EXIT_PREREQUISITES;
  }
  return 0;
}

/** A file system error (permissions, read-only root) as one line instead of a stack trace: exit 1. */
function fsFailure(verb: string, e: unknown): number {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' || !err.code.startsWith('E')) throw e;
  const hint = err.code === 'EACCES' || err.code === 'EPERM' ? ' (run it as root)' : '';
  console.error(`watcher ${verb}: ${err.message}${hint}`);
  return 1;
}

function nextSteps(init: InitSystem, rsyslog: boolean, syslogNg: boolean): string {
  const lines = ['next:', '  edit /etc/watcher/watcher.d/10-site.yaml (enable modules), then: watcher check-config'];
  if (init === 'systemd') lines.push('  systemctl enable --now watcher');
  else lines.push('  update-rc.d watcher defaults (Debian) or chkconfig --add watcher (RHEL), then: service watcher start');
  const svc = (verb: string, name: string) => (init === 'systemd' ? `systemctl ${verb} ${name}` : `service ${name} ${verb}`);
  if (rsyslog) lines.push(`  ${svc('restart', 'rsyslog')}   (reads /etc/rsyslog.d/30-watcher.conf)`);
  if (syslogNg) lines.push(`  ${svc('reload', 'syslog-ng')}  (reads /etc/syslog-ng/conf.d/watcher.conf)`);
  return lines.join('\n');
}

async function systemctl(args: string[]): Promise<void> {
  try {
    const r = await new Exec().run('systemctl', args, { timeoutMs: 60_000 });
    if (r.code !== 0) console.log(`  systemctl ${args.join(' ')}: ${r.stderr.trim()}`);
  } catch (e) {
    console.log(`  systemctl ${args.join(' ')}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function runUnprep(argv: string[]): Promise<number> {
  const o = parsePrepArgs('unprep', argv);
  const facts = gatherFacts(o.root);
  const live = !o.dryRun && o.root === '/' && facts.systemd;
  // An enabled unit would leave a dangling wants/ link and a running daemon behind.
  if (live) await systemctl(['disable', '--now', 'watcher.service']);
  let r;
  try {
    r = unprep(o.root, { dryRun: o.dryRun, purge: o.purge });
  } catch (e) {
    return fsFailure('unprep', e);
  }
  if (!r.manifestFound) {
    console.log(`watcher unprep: nothing to do (no prep manifest${o.root === '/' ? '' : ` under ${o.root}`})`);
    return 0;
  }
  console.log(`watcher unprep${o.dryRun ? ' (dry run: nothing is removed)' : ''}:\n${formatUnprep(r.steps, o.dryRun)}`);
  if (live) await systemctl(['daemon-reload']);
  const kept = r.steps.filter((s) => s.outcome === 'kept-edited' || s.outcome === 'kept-replaced');
  if (kept.length > 0) console.log(`\n${kept.length} file(s) kept because they changed since prep wrote them; remove them by hand if you no longer need them.`);
  return 0;
}
