#!/bin/sh
# npm's install step: build the optional native addon (native/, binding.gyp) with the node-gyp
# that npm provides. It needs a C compiler, make, python3 and Node's headers; where any is
# missing the build fails, this says so in one line, and cas-migrate runs its portable path
# (same results, slower: docs/performance.md). CAS_MIGRATE_NATIVE=0 skips the build.
cd "$(dirname "$0")/.." || exit 0
[ "${CAS_MIGRATE_NATIVE:-}" = 0 ] && exit 0
[ -f binding.gyp ] || exit 0 # an install before the sources are copied (the Dockerfile's first stage)
log=$(mktemp)
if node-gyp rebuild >"$log" 2>&1; then
  echo "cas-migrate: native addon built (build/Release/cas_native.node)"
else
  echo "cas-migrate: native addon not built, using the portable path: $(grep -m1 -i 'error' "$log" || tail -n1 "$log")" >&2
fi
rm -f "$log"
exit 0
