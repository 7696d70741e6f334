#!/usr/bin/env bash
# Extraction throughput: koker's layer applier against GNU tar on the same blobs, in the same
# run, with hyperfine. Needs root (both keep owners and device nodes) and a build (npm run build).
#   bench/extract/run.sh [fixture-dir] [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixture=${1:-/tmp/koker-bench-extract-fixture}
runs=${2:-5}
results="$repo/bench/results"
out=$(mktemp -d /tmp/koker-bench-extract-out-XXXXXX)
trap 'rm -rf "$out"' EXIT
mkdir -p "$results"
"$here/make-fixture.sh" "$fixture" >/dev/null

for kind in gz zst; do
  blobs=("$fixture"/*.tar."$kind")
  bytes=0
  for blob in "${blobs[@]}"; do
    bytes=$((bytes + $( (if [[ $kind == gz ]]; then gzip -dc "$blob"; else zstd -dcq "$blob"; fi) | wc -c)))
  done
  flag=$([[ $kind == gz ]] && echo -xzf || echo "--zstd -xf")
  tar_cmd="for b in ${blobs[*]}; do d=$out/tar/\$(basename \$b); mkdir -p \$d; tar $flag \$b -C \$d; done"
  koker_cmd="node $here/apply-layers.mjs $out/koker ${blobs[*]}"
  hyperfine --style basic --warmup 1 --runs "$runs" \
    --prepare "rm -rf $out/tar $out/koker; sync" \
    --export-json "$results/extract-$kind.json" \
    -n "GNU tar $flag" "$tar_cmd" \
    -n "koker applyLayer ($kind)" "$koker_cmd"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    const [tar, koker] = r;
    const mb = Number(process.argv[2]) / 1e6;
    const line = (x) => `${x.command.padEnd(28)} wall ${x.median.toFixed(2)} s (${(mb / x.median).toFixed(0)} MB/s)  cpu ${(x.user + x.system).toFixed(2)} s`;
    console.log(line(tar));
    console.log(line(koker));
    console.log(`ratio tar/koker: wall ${(tar.median / koker.median).toFixed(2)}, cpu ${((tar.user + tar.system) / (koker.user + koker.system)).toFixed(2)} (above 1: koker is faster); ${mb.toFixed(0)} MB uncompressed`);
  ' "$results/extract-$kind.json" "$bytes" | tee "$results/extract-$kind.txt"
done
