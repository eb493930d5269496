// The man-style help of watcherctl: every command with its options and an example, exit codes,
// aliases and files. Kept in step with docs/operator/watcherctl.md.

export const HELP = `WATCHERCTL(8)                    Watcher                    WATCHERCTL(8)

NAME
    watcherctl - inspect and steer the running Watcher daemon

SYNOPSIS
    watcherctl <command> [arguments] [options]
    freeme <ip|cidr>                       (= watcherctl unban)
    LGinjector|MXinjector|MBinjector|WBinjector [LINE...]   (= watcherctl inject M)

DESCRIPTION
    watcherctl talks to the daemon over its control socket (newline-delimited JSON, protocol
    version 1; default /run/watcher/watcher.sock). The socket is mode 0600 owned by root; with
    control.group set it is 0660 for that group. Output is for humans; --json prints JSON for
    scripts instead.

COMMANDS
    status
        The actor tree with each actor's state, uptime and restart count; the firewall sets with
        their entries per source (as fw-writer applied them); each module's lines, affairs,
        offenders and bans in force; each dynloader's last success and next run.

    list [--module M] [--source S] [--limit N]
        Active bans with since, until and reason, from the module databases. --source whitelist,
        blacklist or dl:NAME lists the entries of that list file or load pool list instead;
        mod:M is the same as --module M. At most N rows (default 1000); the total is said.

    show <ip|cidr>
        Everything known about one address: per module its affairs (rule, event, time), offender
        (DNS class, affairs in window, bans so far), bans (any state); which sets hold it
        (CIDR-aware); whether a whitelist covers it.

    ban <ip|cidr> [--module M] [--for DURATION]
        Ban in module M (default: the only enabled module; with more than one, --module is
        required) for DURATION (default: the module's ban_time), reason "manual". The module
        writes the ban pending and fw-writer applies it. Whitelisted addresses are refused.

    unban <ip|cidr>
        Lift the ban in every module that has it and clear the address's affairs and offender
        history, so it starts afresh (its next affair counts as the first). Says when the static
        blacklist or a dynloader list still blocks it. Exit 1 when no module knew the address.

    whitelist add <ip|cidr> [--comment TEXT]
    whitelist remove <ip|cidr>
    whitelist list
        The runtime whitelist <state_dir>/whitelist.runtime (kept across restarts; each entry
        carries who added it and when). add and remove request a reload, after which the
        whitelist wins in the firewall and the modules no longer count the address.

    inject <M> LINE... | inject <M> -
        Feed log lines into running module M (LG, MX, MB, WB) as if read from its source; "-"
        reads lines from standard input.

    reload
        Re-read the configuration and re-apply lists and load pool atomically (as SIGHUP).

    expire
        Run the expirer now: affairs and bans whose time is up are removed.

    trace [--actor A]
        Print live state transitions and events of every actor (or of actor A and its children,
        e.g. module:LG, fw-writer) until Ctrl-C. --json prints one JSON object per line.

    dynload [NAME] | dynload status
        Run dynloader NAME (all enabled ones without NAME) now; status shows each loader's last
        attempt, last success, entries, age, next run and last error.

    report [--html FILE | --out DIR] [--module M] [--vhost V] [--json]
        Firewall state, load pool, module databases, top offenders and rules, bans over the last
        day and week: as text, JSON or a self-contained HTML page with charts (report --help).

    stats --module M [--from D] [--to D] [--by hour|day|month] [--csv] [--tz utc|local] [--vhost V]
        Per period: affairs by event kind, new offenders, bans, unbans, expiries, DNS classes;
        the CSV loads into a spreadsheet as is (stats --help).

    match --module M [--json] [--missed] [--format F] FILE|-
        Run one module's rules over a log file offline (see watcherctl match --help).

    completion bash
        Print a bash completion script.

OPTIONS
    --json             JSON output for scripts
    -m, --module M     module LG, MX, MB or WB
    --source S         whitelist, blacklist, dl:NAME or mod:M (list)
    --for DURATION     ban duration: 90s, 30m, 6h, 7d, 2w, 1h30m (ban)
    --comment TEXT     why an address is whitelisted (whitelist add)
    --actor A          only this actor and its children (trace)
    --limit N          at most N rows (list)
    --config-dir DIR, --state-dir DIR, --run-dir DIR, --socket PATH
                       where the daemon's configuration and socket are (as for watcher)
    -h, --help         this text

EXIT STATUS
    0  done
    1  error, or refused by the daemon (whitelisted address, unknown module, nothing to unban,
       permission denied on the socket)
    2  usage: the command line is wrong
    3  the daemon is not running (nothing answers on the socket)

FILES
    /run/watcher/watcher.sock             control socket (control.socket)
    /var/lib/watcher/whitelist.runtime    runtime whitelist (state_dir)

EXAMPLES
    watcherctl status
    watcherctl status --json | jq '.firewall.sets'
    watcherctl list --module LG
    watcherctl list --source dl:spamhaus-drop --limit 20
    watcherctl show 203.0.113.7
    watcherctl ban 203.0.113.0/24 --module WB --for 7d
    watcherctl unban 203.0.113.7            # or: freeme 203.0.113.7
    watcherctl whitelist add 198.51.100.10 --comment "office VPN"
    watcherctl whitelist remove 198.51.100.10
    watcherctl whitelist list
    watcherctl inject LG 'Nov 22 01:50:29 host sshd[23796]: Failed password for root from 203.0.113.5 port 4242 ssh2'
    tail -n 100 /var/log/auth.log | LGinjector
    watcherctl reload
    watcherctl expire
    watcherctl trace --actor module:LG
    watcherctl dynload spamhaus-drop; watcherctl dynload status
    watcherctl match --module LG /var/log/auth.log
    watcherctl report --html /tmp/watcher-report.html
    watcherctl stats --module LG --from 2026-11-01 --to 2026-11-30 --by day --csv > lg.csv
    watcherctl completion bash > /etc/bash_completion.d/watcherctl
`;
