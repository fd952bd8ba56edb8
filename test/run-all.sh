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

# The oldest supported n8n (README "Supported n8n versions"): its install (about 5 minutes on a
# fresh machine, mostly download) runs in the background while the main pass runs; it takes
# its own lock, so it never blocks the main pass's n8n.
OLDEST_N8N_VERSION=1.123.81
oldest_pass=1
if [ "$#" -gt 0 ] || [ "${MSAL_SKIP_OLDEST_N8N:-}" = 1 ]; then oldest_pass=0; fi
if [ "$oldest_pass" = 1 ]; then
  oldest_log="$(mktemp)"
  N8N_VERSION="$OLDEST_N8N_VERSION" bash test/rig/install-n8n.sh > "$oldest_log" 2>&1 &
  oldest_install=$!
fi

pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir" "${oldest_log:-}"' EXIT
npm pack --silent --pack-destination "$pack_dir" > /dev/null
export MSAL_PACKAGE_TARBALL="$(ls "$pack_dir"/*.tgz)"

# One test file at a time: the e2e tests run n8n processes that want both cores.
npx jest --runInBand "$@"

# Second pass: the suites that write the credential store, on the oldest supported n8n (it
# saves credentials differently before 2.34). Skipped when arguments pick tests.
if [ "$oldest_pass" = 1 ]; then
  if ! wait "$oldest_install"; then cat "$oldest_log" >&2; exit 1; fi
  started=$SECONDS
  # (File paths alone pick the tests; --selectProjects would swallow them as project names.)
  N8N_VERSION="$OLDEST_N8N_VERSION" npx jest --runInBand \
    test/e2e/clientCredentials.test.ts test/e2e/deviceCode.test.ts test/e2e/expressionFields.test.ts
  echo "[run-all] n8n $OLDEST_N8N_VERSION pass: $((SECONDS - started)) s" >&2
fi
