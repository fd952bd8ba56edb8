#!/usr/bin/env bash
# Debian's Chromium for the browser tests (test/browser), driven by playwright-core with
# executablePath /usr/bin/chromium. Downloading a browser (`npx playwright install`) is not
# possible here; Debian's package is. CI runs as root on a fresh machine; elsewhere sudo.
set -euo pipefail
if command -v chromium > /dev/null 2>&1; then
  echo "CHROMIUM=$(command -v chromium)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "[install-chromium] installing Debian's chromium" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update >&2
$SUDO apt-get install -y --no-install-recommends chromium fonts-liberation >&2
echo "CHROMIUM=$(command -v chromium)"
