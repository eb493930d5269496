#!/bin/sh
# The whole test suite: installs what it needs, type-checks, builds, then runs every ava test
# (unit, machines, integration in network namespaces) and prints "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh test
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.build.json
node scripts/ava-summary.mjs "$@"
