#!/usr/bin/env bash
# Builds the extraction benchmark's layer blobs from files already on this Debian machine (no
# network): three gzip layers and the same three as zstd, shaped like an image's layers.
#   share  /usr/share                              many small files (docs, locales, data)
#   python /usr/lib/python3.11 /usr/lib/python3    a language runtime's tree
#   gcc    /usr/lib/gcc                            few large binaries
# The images helper's large fixture image can replace these later (same blob files, one per layer).
set -euo pipefail
out=${1:-/tmp/koker-bench-extract-fixture}
mkdir -p "$out"
make_layer() {
  local name=$1
  shift
  [[ -s "$out/$name.tar.gz" && -s "$out/$name.tar.zst" ]] && return
  local paths=()
  for p in "$@"; do [[ -e "/$p" ]] && paths+=("$p"); done
  tar --format=posix -C / -cf "$out/$name.tar" "${paths[@]}"
  gzip -6 -c "$out/$name.tar" > "$out/$name.tar.gz"
  zstd -q -3 -f "$out/$name.tar" -o "$out/$name.tar.zst"
  rm -f "$out/$name.tar"
}
make_layer 1-share usr/share
make_layer 2-python usr/lib/python3.11 usr/lib/python3
make_layer 3-gcc usr/lib/gcc
ls -l "$out"
