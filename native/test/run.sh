#!/bin/sh
# Tests of the native helper that need no plan: it identifies itself and refuses to run bare.
set -eu
bin=$1
"$bin" --version | grep -q '^koker-init ' || { echo "FAIL: --version"; exit 1; }
if "$bin" 2>/dev/null; then echo "FAIL: ran without a plan"; exit 1; fi
rc=0; "$bin" 2>/dev/null || rc=$?
[ "$rc" = 125 ] || { echo "FAIL: exit $rc without a plan, want 125"; exit 1; }
echo "native: ok"
