#!/usr/bin/env bash
# The whole test suite: unit, integration (real MSAL against a real OpenID provider),
# end-to-end (a real n8n running workflows with the packed package) and browser (that n8n's
# editor driven in Chromium). Works on a machine with only Node 20, npm and apt: Node 24 and
# n8n are installed once into ~/.cache/n8n-nodes-msal, Chromium from Debian's package.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
bash test/rig/install-n8n.sh > /dev/null
bash test/rig/install-chromium.sh > /dev/null

pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT
npm pack --silent --pack-destination "$pack_dir" > /dev/null
export MSAL_PACKAGE_TARBALL="$(ls "$pack_dir"/*.tgz)"

# One test file at a time: the e2e tests run n8n processes that want both cores.
npx jest --runInBand "$@"
