#!/bin/sh
# The README's demo command: installs what is missing (apt-get), builds, and
# runs siplb in its own namespaces with SIPp calls through the VIP, then
# prints a summary and cleans up. Needs root (namespaces, bpffs, XDP).
# usage: tests/e2e/demo.sh [CALLS] [CALLS_PER_SECOND]
set -eu
cd "$(dirname "$0")/../.."
./deps.sh
build=${SIPLB_DEMO_BUILD:-build-demo}
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" >/dev/null
fi
ninja -C "$build" >/dev/null
exec python3 tests/e2e/demo.py "$build" "${1:-3000}" "${2:-100}"
