#!/usr/bin/env bash
# Debian's packages the suite needs, in one apt run (two at once would fight over dpkg's lock):
# Chromium for the browser tests (test/browser, driven by playwright-core with executablePath
# /usr/bin/chromium; downloading a browser is not possible here, Debian's package is), and
# PostgreSQL and Redis for queue mode (test/queue). CI runs as root on a fresh machine; elsewhere sudo.
set -euo pipefail
missing=()
command -v chromium > /dev/null 2>&1 || missing+=(chromium fonts-liberation)
[ -x /usr/bin/redis-server ] || [ -x /usr/local/bin/redis-server ] || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/postgres' > /dev/null || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "[install-debian-packages] installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update >&2
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
echo "CHROMIUM=$(command -v chromium)"
