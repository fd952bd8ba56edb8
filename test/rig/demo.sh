#!/usr/bin/env bash
# The main job, on a fresh machine with Node 20 and npm: installs what is missing, starts the
# local identity provider and protected API (or uses a real tenant given in MSAL_* variables),
# a real n8n with this package installed as users install it, and runs the example workflow twice.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build > /dev/null
echo "[demo] installing Node 24 and n8n if needed (once, about 5 minutes)" >&2
bash test/rig/install-n8n.sh > /dev/null

pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT
npm pack --silent --pack-destination "$pack_dir" > /dev/null
MSAL_PACKAGE_TARBALL="$(ls "$pack_dir"/*.tgz)" npx tsx test/rig/demo.ts
