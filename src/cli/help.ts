// The man-style help of `watcher`: the overview (`watcher --help`) and one page per verb
// (`watcher <verb> --help`, `watcher help <verb>`). Text only; keep it true to what the verbs do.

export const HELP = `NAME
  watcher — real-time intrusion detection and prevention daemon, superordinate firewall manager

SYNOPSIS
  watcher <verb> [options]
  watcher help <verb>            (or: watcher <verb> --help)

VERBS
  run            run in the foreground (for systemd); SIGHUP reloads, SIGTERM stops
  start          master load, then the other actors, in the background (log: <state>/watcher.log)
  stop [--flush] stop the actors; firewall entries stay unless --flush
  restart        stop, then start
  reload         re-apply lists and load pool atomically without restarting modules (also SIGHUP)
  full           remove everything Watcher put into the firewall, then start from blank
  status         show the actor tree and firewall state (exit 3 when not running)
  check-config   validate the configuration; print every problem with file:line (exit 1 on problems)
  prep           check prerequisites; install /etc/watcher, the service, logrotate and syslog snippets
  unprep         remove what prep installed (never a file changed since; --purge for edited config)

OPTIONS
  --config-dir DIR   drop-in directory of *.yaml files (default /etc/watcher/watcher.d)
  --state-dir DIR    databases, load pool, logs (default /var/lib/watcher)
  --run-dir DIR      pid file and control socket (default /run/watcher)
  --socket PATH      control socket (default <run-dir>/watcher.sock)
  --backend NAME     auto | ipset | nftables | dry-run
  --netns NAME       manage the firewall of this network namespace (ip netns name)
  --log-level LEVEL  error | warn | info | debug | trace
  --log-dir DIR      log files per module go here ("" = stderr only)
  --json             machine-readable output (status)
  -h, --help         this text; with a verb, that verb's page

FILES
  /etc/watcher/watcher.d/*.yaml   site configuration (drop-ins over the shipped conf/watcher.yaml)
  /etc/watcher/whitelist, /etc/watcher/blacklist   static lists, one address or CIDR per line
  /etc/watcher/rules.d/<MODULE>/*.yaml             your own detection rules
  /var/lib/watcher                databases (db/<MODULE>.sqlite), load pool, reader positions
  /run/watcher                    control socket, pid file, module FIFOs (<MODULE>.fifo)

EXAMPLES
  watcher prep --dry-run                       # what installation would do, writing nothing
  watcher run --state-dir ./state              # foreground, embedded default
  watcher check-config --config-dir /etc/watcher/watcher.d
  watcher stop --flush                         # stop and remove every Watcher firewall entry

SEE ALSO
  watcherctl --help; docs/operator/README.md (the operator's guide)
`;

const COMMON = `  --config-dir DIR, --state-dir DIR, --run-dir DIR, --socket PATH: see watcher --help`;

export const VERB_HELP: Record<string, string> = {
  run: `watcher run [options] — run the daemon in the foreground

  What systemd's ExecStart runs. Loads the configuration, starts fw-writer, runs the master load
  (whitelist, blacklist, load pool, module bans) and then the modules and dynloaders. Logs to stderr
  (the journal under systemd). SIGHUP reloads; SIGTERM or SIGINT stop in order.

OPTIONS
${COMMON}
  --backend NAME, --netns NAME, --log-level LEVEL, --log-dir DIR

EXAMPLES
  watcher run --state-dir ./state --config-dir ./state/watcher.d   # what npm start runs
  watcher run --backend dry-run --log-level debug                  # change nothing, log every match
`,
  start: `watcher start [options] — start the daemon in the background

  Runs \`watcher run\` detached with its output in <state>/watcher.log and returns when the master
  load is done (exit 1 with the end of the log when it fails). Does nothing when already running.
  Under systemd use \`systemctl start watcher\` instead.

EXAMPLES
  watcher start
  watcher start --log-level debug
`,
  stop: `watcher stop [--flush] — stop the daemon

  Asks the daemon through its control socket (SIGTERM when the socket does not answer) and waits until
  it is gone. Firewall entries stay (firewall.keep_on_stop), so a restart opens no gap; --flush removes
  every table, chain and set Watcher made (also when no daemon runs).

EXAMPLES
  watcher stop
  watcher stop --flush
`,
  restart: `watcher restart — stop, then start (firewall entries stay in between)
`,
  reload: `watcher reload — re-read the configuration and lists, apply them atomically

  Same as SIGHUP or \`systemctl reload watcher\`. A configuration with problems is refused and the
  running one stays (see \`watcher check-config\`). Exit 7 when the daemon is not running.
`,
  full: `watcher full — remove everything Watcher put into the firewall, then start from blank
`,
  status: `watcher status [--json] — the actor tree, restarts and firewall state

  Exit 0 when running, 3 when not (LSB).

EXAMPLES
  watcher status
  watcher status --json | jq .children
`,
  'check-config': `watcher check-config [--config-dir DIR] — validate the configuration

  Reads the shipped defaults and every drop-in, and prints every problem with file:line (unknown keys,
  wrong types, bad values). Exit 0 when valid, 1 otherwise.

EXAMPLES
  watcher check-config
  watcher check-config --config-dir ./state/watcher.d
`,
  prep: `watcher prep [--dry-run] [--root DIR] [--init auto|systemd|sysv] — install Watcher as a service

  Checks the prerequisites (nft, or ipset + iptables; the kernel's set modules; a writable state
  directory; Node 20+) and names what is missing with the install command for Debian/Ubuntu and
  RHEL-likes (and SUSE). Then installs, without starting anything:
    /etc/watcher/watcher.d/10-site.yaml   commented site drop-in with this distribution's log paths
    /etc/watcher/whitelist                this host's addresses and the SSH client running prep
    /etc/watcher/blacklist                empty
    /etc/watcher/rules.d/<MODULE>/        for your own rules
    /etc/systemd/system/watcher.service   hardened unit (or /etc/init.d/watcher without systemd)
    /etc/logrotate.d/watcher              rotation of /var/log/watcher/*.log (copytruncate)
    /etc/rsyslog.d/30-watcher.conf        feeds /run/watcher/<MODULE>.fifo (when rsyslog is installed)
    /etc/syslog-ng/conf.d/watcher.conf    the same for syslog-ng (when installed)
    /usr/local/sbin/watcher, watcherctl   and the aliases freeme, LGinjector, MXinjector, MBinjector,
                                          WBinjector (watcherctl unban / inject <MODULE>)
  Idempotent: a second run changes nothing. A file that exists but was not written by prep, or that
  was changed since prep wrote it, is left alone and reported. What was written is recorded with
  checksums in /var/lib/watcher/prep-manifest.json for \`watcher unprep\`.

OPTIONS
  --dry-run      print the checks and the plan; write nothing
  --root DIR     treat DIR as the target's root: every path read for detection (/etc/os-release,
                 tools, kernel modules, /run/systemd/system) and written is under DIR
  --init KIND    systemd or sysv instead of detecting (/run/systemd/system)

EXIT STATUS
  0 installed and every prerequisite present; 4 installed but a required prerequisite is missing;
  1 error; 2 usage

EXAMPLES
  watcher prep --dry-run
  watcher prep && systemctl enable --now watcher
  watcher prep --root /tmp/image --init sysv     # prepare an image or chroot
`,
  unprep: `watcher unprep [--dry-run] [--purge] [--root DIR] — remove what prep installed

  Reads prep's manifest and removes each file whose checksum is still the one prep wrote, each
  symlink that still points where prep pointed it, and each directory prep created once it is empty.
  A file changed since is kept and reported; configuration in /etc/watcher the admin edited is only
  removed with --purge. Databases and the load pool in /var/lib/watcher stay (their directory too).
  On a live systemd host the unit is disabled and stopped first.

OPTIONS
  --dry-run      print what would be removed; remove nothing
  --purge        also remove the configuration files in /etc/watcher that prep wrote and you edited
  --root DIR     as for prep

EXAMPLES
  watcher unprep --dry-run
  watcher unprep --purge
`,
};

/** The page for a verb, or null when there is none. */
export function verbHelp(verb: string): string | null {
  return VERB_HELP[verb] ?? null;
}
