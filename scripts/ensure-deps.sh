#!/bin/sh
# Installs what Watcher needs on a fresh Debian/Ubuntu machine: Debian packages that are missing
# (only when root) and the npm packages of package-lock.json. Never starts a service.
# Usage: scripts/ensure-deps.sh [runtime|test]
set -eu
cd "$(dirname "$0")/.."
profile=${1:-runtime}

need_pkgs=""
want() { # want <command> <debian-package>
  command -v "$1" >/dev/null 2>&1 || need_pkgs="$need_pkgs $2"
}
want nft nftables
want ipset ipset
want iptables iptables
want ip iproute2
if [ "$profile" = test ]; then
  want ncat ncat
  want setpriv util-linux   # watcherctl permission tests run the client as nobody
  want dnsmasq dnsmasq
  want /lib/systemd/systemd-journal-remote systemd-journal-remote
  # e2e lab (test/e2e): real daemons in namespaces and real attack tools
  want /usr/sbin/sshd openssh-server
  want ssh openssh-client
  want /usr/sbin/postfix postfix
  want /usr/sbin/dovecot dovecot-core
  want /usr/lib/dovecot/imap-login dovecot-imapd
  want /usr/lib/dovecot/pop3-login dovecot-pop3d
  want /usr/sbin/nginx nginx
  want /usr/sbin/rsyslogd rsyslog
  want hydra hydra
  want swaks swaks
  want /usr/share/perl5/IO/Socket/INET6.pm libio-socket-inet6-perl
  want sshpass sshpass
  want curl curl
  want openssl openssl
  # watcher prep's installed files, checked by the tools that read them (test/integration/prep.test.ts).
  # syslog-ng is not installed: on Debian it conflicts with rsyslog (the test skips it with a reason).
  want systemd-analyze systemd
  want /usr/sbin/logrotate logrotate
  # the HTML report rendered and screenshotted in a real browser (test/integration/report-html.test.ts)
  want /usr/bin/chromium chromium
fi

if [ -n "$need_pkgs" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "watcher: installing Debian packages:$need_pkgs" >&2
    # policy-rc.d keeps package installs from starting services in the root namespace.
    prc=/usr/sbin/policy-rc.d
    created_prc=""
    if [ ! -e "$prc" ]; then printf '#!/bin/sh\nexit 101\n' > "$prc"; chmod +x "$prc"; created_prc=1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || apt-get update
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need_pkgs >/dev/null || apt-get install -y --no-install-recommends $need_pkgs
    [ -n "$created_prc" ] && rm -f "$prc"
  else
    echo "watcher: missing packages:$need_pkgs (install them as root: apt-get install$need_pkgs)" >&2
  fi
fi

# npm packages: reinstall when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "watcher: installing npm packages (better-sqlite3 compiles from source, about a minute)" >&2
  npm ci --no-fund --no-audit --loglevel=error
fi
