#!/usr/bin/env bash
# The benchmarks, in one run: builds and packs the package, installs (once) Node 24 and the
# pinned n8n, then bench/main.ts starts the test rig (identity provider + protected API) and a
# real n8n with the packed package, and prints figures and ratios.
# Timings never fail the run; a functional failure (an execution that fails, a wrong number of
# items or API calls) exits non-zero.
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

# `bash bench/run.sh bench/queueMode.ts` (npm run bench:queue) runs another entry the same way.
entry=bench/main.ts
if [[ "${1:-}" == *.ts ]]; then entry="$1"; shift; fi
npx tsx "$entry" "$@"
