#!/bin/sh
# The test command (README.md, .ci/run): installs what is missing with
# apt-get, builds everything with clang (test programs with ASan+UBSan) and
# with gcc, and runs every suite on the clang build; meson's summary is the
# closing line.
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
# Debian's default compiler must build the tree too, warning-free (-Werror):
# gcc 12 finds what clang 14 does not (maybe-uninitialized, format
# truncation). Built, not run: the suite runs on the clang build.
gcc_build=${build}-gcc
if [ ! -f "$gcc_build/build.ninja" ]; then
    CC=gcc meson setup "$gcc_build" >/dev/null
fi
ninja -C "$gcc_build" >/dev/null || { ninja -C "$gcc_build"; exit 1; }
echo "gcc build: $gcc_build warning-free"
meson test -C "$build" --print-errorlogs
