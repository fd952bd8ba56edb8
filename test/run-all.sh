#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint and types, unit, integration (real MSAL against a
# real OpenID provider), end-to-end (a real n8n running workflows with the packed package),
# browser (that n8n's editor in Debian's Chromium), queue mode (PostgreSQL, Redis, workers) and
# the credential-store suites again on the oldest supported n8n, and a smoke pass on an older 2.x
# (the versions: test/rig/n8n-versions.sh). Works on a machine with only
# Node 20, npm and apt: Node 24 and each n8n are installed once into ~/.cache/n8n-nodes-msal
# (MSAL_TEST_CACHE), Chromium, PostgreSQL and Redis from Debian's packages.
#
# Each phase prints its duration, and jest the time of each test file.
# With arguments (jest's), only those tests run, after the installs they may need.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=rig/n8n-versions.sh
source test/rig/n8n-versions.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The installs (downloads, and sqlite3's native build) start first and run while the fast
# layers use the CPU.
bash test/rig/install-n8n.sh > "$work/n8n.log" 2>&1 &
n8n_install=$!
bash test/rig/install-debian-packages.sh > "$work/debian.log" 2>&1 &
debian_install=$!
oldest_pass=1
if [ "$#" -gt 0 ] || [ "${MSAL_SKIP_OLDEST_N8N:-}" = 1 ]; then oldest_pass=0; fi
if [ "$oldest_pass" = 1 ]; then
  # One after the other: two n8n installs at once slow the tests more than they save.
  (N8N_VERSION="$OLDEST_N8N_VERSION" bash test/rig/install-n8n.sh > "$work/oldest.log" 2>&1 \
    && N8N_VERSION="$SMOKE_N8N_VERSION" bash test/rig/install-n8n.sh > "$work/smoke.log" 2>&1) &
  oldest_install=$!
fi
await() { # pid log: waits for a background install, shows its log if it failed
  if ! wait "$1"; then cat "$2" >&2; exit 1; fi
}
phase_started=$SECONDS
phase_name=""
phase() { # name: ends the running phase (printing its duration) and starts the next
  if [ -n "$phase_name" ]; then
    echo "[run-all] $phase_name: $((SECONDS - phase_started)) s (at $SECONDS s)" >&2
    timings+=("$(printf '%-58s %5d s' "$phase_name" $((SECONDS - phase_started)))")
  fi
  phase_name="$*"
  phase_started=$SECONDS
  [ -z "$phase_name" ] || echo "[run-all] $phase_name ..." >&2
}
timings=()

phase "build and pack"
npm run build
npm pack --silent --pack-destination "$work" > /dev/null
export MSAL_PACKAGE_TARBALL="$(ls "$work"/*.tgz)"

if [ "$#" -gt 0 ]; then
  await "$n8n_install" "$work/n8n.log"
  await "$debian_install" "$work/debian.log"
  npx jest --runInBand "$@"
  exit 0
fi

phase "lint and types"
# The package has no real home yet (repository, author): lint reports those placeholders as
# warnings here instead of failing the suite; the release workflow refuses them. Remove this
# variable once package.json holds the real values.
MSAL_ALLOW_PLACEHOLDER_METADATA=1 npm run lint
npm run typecheck

phase "unit and integration"
npx jest --selectProjects unit integration

phase "wait for the n8n install"
await "$n8n_install" "$work/n8n.log"
# Two test files at a time: each has one long-lived n8n that mostly waits on the rig, so two
# share the two cores without either saturating them (ports and folders are per instance).
phase "end to end (n8n $(sed -n 's/^N8N_BIN=.*n8n-\([0-9.]*\)\/.*/\1/p' "$work/n8n.log"))"
npx jest --selectProjects e2e --maxWorkers=2

phase "wait for Debian's packages"
await "$debian_install" "$work/debian.log"
phase "browser"
npx jest --selectProjects browser --runInBand

phase "queue mode (PostgreSQL, Redis, main and two workers)"
npx jest --selectProjects queue --runInBand

# The suites that write the credential store, on the oldest supported n8n (it saves
# credentials differently before 2.34). File paths alone pick them: --selectProjects would
# take them as project names.
if [ "$oldest_pass" = 1 ]; then
  phase "wait for the n8n $OLDEST_N8N_VERSION and $SMOKE_N8N_VERSION installs"
  if ! wait "$oldest_install"; then cat "$work/oldest.log" "$work/smoke.log" >&2 2> /dev/null; exit 1; fi
  phase "credential-store suites on n8n $OLDEST_N8N_VERSION"
  N8N_VERSION="$OLDEST_N8N_VERSION" npx jest --maxWorkers=2 \
    test/e2e/clientCredentials.test.ts test/e2e/deviceCode.test.ts test/e2e/expressionFields.test.ts
  # A smoke pass on the last 2.x before the newest: loading, the credential store, SSRF.
  phase "smoke pass on n8n $SMOKE_N8N_VERSION"
  N8N_VERSION="$SMOKE_N8N_VERSION" npx jest --maxWorkers=2 \
    test/e2e/moduleLoading.test.ts test/e2e/clientCredentials.test.ts test/e2e/network.test.ts
fi
phase ""
echo "[run-all] durations:" >&2
printf '  %s\n' "${timings[@]}" >&2
echo "[run-all] total: $SECONDS s" >&2
