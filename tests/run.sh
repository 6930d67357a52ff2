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
# truncation), and at -O3 more again (a stringop-overflow that only the
# release build showed, 2026-12-05). Both optimisation levels, built, not
# run: the suite runs on the clang build.
for buildtype in debugoptimized release; do
    gcc_build=${build}-gcc-$buildtype
    if [ ! -f "$gcc_build/build.ninja" ]; then
        CC=gcc meson setup "$gcc_build" -Dbuildtype=$buildtype >/dev/null
    fi
    ninja -C "$gcc_build" >/dev/null || { ninja -C "$gcc_build"; exit 1; }
    echo "gcc build ($buildtype): $gcc_build warning-free"
done
meson test -C "$build" --print-errorlogs
