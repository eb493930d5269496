#!/bin/sh
# Quick start: installs what is needed, builds, and runs Watcher in the foreground on the embedded
# default (SQLite, log files and the load pool under ./state, the real firewall when root, else dry-run).
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh runtime
npx tsc -p tsconfig.build.json
exec node --max-semi-space-size=1 --v8-pool-size=1 --heap-growing-percent=50 bin/watcher.js run --state-dir ./state --config-dir ./state/watcher.d --log-dir ./state/log "$@"
