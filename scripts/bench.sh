#!/bin/sh
# Benchmarks (prints JSON on stdout): firewall master load, live bans, RSS. Root for firewall parts.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh test >&2
npx tsc -p tsconfig.build.json >&2
exec node --import tsx test/bench/run.ts "$@"
