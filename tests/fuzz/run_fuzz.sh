#!/bin/sh
# Runs the scanner fuzzer for a bounded time from the seed corpus.
# usage: run_fuzz.sh FUZZER SECONDS SEED_DIR... ; a crash or a differential
# mismatch leaves its input in the work directory and fails the test.
set -eu
fuzzer=$1 seconds=$2
shift 2
work=$(mktemp -d /tmp/siplb-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
dict=$(dirname "$0")/sip.dict
# A third-party leak the fuzzers must not stop on (lsan.supp says which).
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# The new-input directory comes first: libFuzzer writes there, seeds stay.
"$fuzzer" -max_total_time="$seconds" -max_len=2048 -timeout=5 -rss_limit_mb=2048 \
    -dict="$dict" -artifact_prefix="$work/" -print_final_stats=1 \
    "$work" "$@" 2>"$work/log" || {
    tail -40 "$work/log"
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
        [ -e "$a" ] && { echo "fuzz: failing input:"; od -c "$a" | head -20; }
    done
    exit 1
}
grep -E '^stat::number_of_executed_units|^stat::new_units_added|^stat::peak_rss' "$work/log"
echo "fuzz: no crash and no mismatch in ${seconds}s"
