#!/usr/bin/env bash
# Installs the Debian packages named in the given lists (.ci/apt-*.txt: one per line, # starts a
# comment) that are not installed yet. As root.
#   usage: scripts/install-apt-packages.sh LIST...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 LIST..." >&2; exit 2; }
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -- "$@" | grep -v '^$' | sort -u)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
