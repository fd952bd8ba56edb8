#!/usr/bin/env bash
# The queue-mode benchmark (bench/queueMode.ts): builds and packs the package, installs (once)
# Node 24, the pinned n8n, PostgreSQL and Redis (test/queue/services.ts), then starts the rig and
# a main with two workers. A few minutes; kept out of `npm run bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build > /dev/null
npx tsc -p bench/tsconfig.json
bash test/rig/install-n8n.sh > /dev/null

pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT
npm pack --silent --pack-destination "$pack_dir" > /dev/null
export MSAL_PACKAGE_TARBALL="$(ls "$pack_dir"/*.tgz)"

npx tsx bench/queueMode.ts "$@"
