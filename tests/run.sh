#!/bin/sh
# The test command (README.md, .ci/run): installs what is missing with
# apt-get, builds everything with clang (test programs with ASan+UBSan),
# and runs every suite; meson's summary is the closing line.
# Needs root: apt-get, and the BPF test loads a program into the kernel.
set -eu
cd "$(dirname "$0")/.."
./deps.sh
build=${SIPLB_TEST_BUILD:-build-test}
if [ -f "$build/build.ninja" ]; then
    meson setup --reconfigure "$build" >/dev/null
else
    CC=clang meson setup "$build" -Dtest_sanitizers=true
fi
ninja -C "$build"
meson test -C "$build" --print-errorlogs
