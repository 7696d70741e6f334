#!/usr/bin/env bash
# koker's main job on a fresh machine, as root: install what koker needs to run (.ci/apt-runtime.txt:
# no test or benchmark tools), build it, show what it sees of this host, and run a container from
# an image built here from Debian's busybox-static (loaded with `koker load`: no registry, no
# internet needed).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (sudo $0)" >&2; exit 1; }
scripts/install-apt-packages.sh .ci/apt-runtime.txt
npm ci --no-fund --no-audit
npm run build

npx koker info
# An image built here from Debian's busybox-static: no registry, no internet.
scripts/build-busybox-image.sh /tmp/koker-busybox.tar >/dev/null
npx koker load -i /tmp/koker-busybox.tar
npx koker images
npx koker run --rm busybox echo 'hello from a busybox container'
