#!/usr/bin/env bash
# koker's main job on a fresh machine, as root: install what koker needs, build it, and show
# what it sees of this host. (Grows with koker: when `run` lands, this runs a container from an
# image built locally from Debian's busybox-static, with no internet needed.)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (sudo $0)" >&2; exit 1; }
mapfile -t packages < <(grep -v -E '^\s*(#|$)' .ci/apt-packages.txt)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; fi
npm ci --no-fund --no-audit
npm run build

npx koker info
# An image built here from Debian's busybox-static: no registry, no internet.
scripts/build-busybox-image.sh /tmp/koker-busybox.tar >/dev/null
npx koker load -i /tmp/koker-busybox.tar
npx koker images
