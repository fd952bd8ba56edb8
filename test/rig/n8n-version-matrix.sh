#!/usr/bin/env bash
# Which n8n versions install from the registry reachable here, and do our suites pass on them.
# Prints a Markdown table (for docs/n8n-versions.md).
#   npm run n8n:versions                      per 2.x minor from 2.36, the newest patch that resolves (and
#                                             the newer ones that do not), and 1.123.81: resolve only
#   npm run n8n:versions -- --run 2.41.1 ...  also installs each resolving version and runs the smoke suites on it
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/rig/n8n-versions.sh

run=0
if [ "${1:-}" = --run ]; then run=1; shift; fi
versions=("$@")
if [ "${#versions[@]}" -eq 0 ]; then
  mapfile -t versions < <(npm view n8n versions --json 2> /dev/null | node -e '
    const all = JSON.parse(require("fs").readFileSync(0, "utf8")).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
    const parsed = all.map((v) => v.split(".").map(Number)).filter(([major, minor]) => major === 2 && minor >= 36);
    parsed.sort((a, b) => b[1] - a[1] || b[2] - a[2]);
    for (const v of parsed) console.log(v.join("."));
  ')
  versions+=("$OLDEST_N8N_VERSION")
fi
smoke_suites=(test/e2e/moduleLoading.test.ts test/e2e/clientCredentials.test.ts test/e2e/network.test.ts)

role() {
  case "$1" in
    "$MAIN_N8N_VERSION") echo "main: e2e, browser, queue mode" ;;
    "$SMOKE_N8N_VERSION") echo "smoke pass" ;;
    "$OLDEST_N8N_VERSION") echo "credential-store suites" ;;
    *) echo "-" ;;
  esac
}

echo "| n8n | Installs here | Our suites | In \`npm test\` |"
echo "| --- | --- | --- | --- |"
settled_minor=""
for version in "${versions[@]}"; do
  minor="${version%.*}"
  [ "$minor" != "$settled_minor" ] || continue
  if ! missing="$(bash test/rig/install-n8n.sh --check "$version")"; then
    first="$(echo "$missing" | head -1 | sed "s/^n8n@$version: //")"
    count="$(echo "$missing" | wc -l)"
    echo "| $version | no: $first$([ "$count" -gt 1 ] && echo " and $((count - 1)) more pins") | - | $(role "$version") |"
    continue
  fi
  suites="not run (--run)"
  if [ "$run" = 1 ]; then
    if N8N_VERSION="$version" bash test/rig/install-n8n.sh > /dev/null 2>&1; then
      if N8N_VERSION="$version" bash test/run-all.sh "${smoke_suites[@]}" > "/tmp/n8n-$version-smoke.log" 2>&1; then
        suites="smoke suites pass"
      else
        suites="smoke suites FAIL (/tmp/n8n-$version-smoke.log)"
      fi
    else
      suites="install FAILED"
    fi
  fi
  [ "$#" -gt 0 ] || settled_minor="$minor"
  echo "| $version | yes | $suites | $(role "$version") |"
done
