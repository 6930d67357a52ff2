#!/bin/sh
# Instructions per message for each scanner path and the memchr floor,
# counted by callgrind (repeatable on a noisy machine). Each figure is
# (Ir at 3000 scans - Ir at 1000 scans) / 2000, so start-up (Hyperscan's
# database compile, file loading) cancels out.
# usage: scan_callgrind.sh BENCH_BINARY MESSAGES_DIR [PATH...]
set -eu
bench=$1 dir=$2
shift 2
# valgrind 3.19 cannot run AVX-512 code: the avx512 path is not counted here
# unless named; bench/scan_insns.sh counts it (ptrace single-step, the same
# figure: it agrees with this script to the instruction on the other paths).
paths=${*:-floor scalar sse4.2 avx2 hyperscan}
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" --one "$1" "$2" "$3" \
        2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-14s' message
for p in $paths; do printf ' %10s' "$p"; done
printf ' %12s\n' "best/floor"
for f in "$dir"/*.sip; do
    printf '%-14s' "$(basename "$f")"
    floor= best=
    for p in $paths; do
        a=$(ir "$p" 1000 "$f") b=$(ir "$p" 3000 "$f")
        n=$(( (b - a) / 2000 ))
        printf ' %10s' "$n"
        [ "$p" = floor ] && floor=$n
        [ "$p" != floor ] && { [ -z "$best" ] || [ "$n" -lt "$best" ]; } && best=$n
    done
    [ -n "$floor" ] && [ -n "$best" ] && printf ' %12s' "$(echo "scale=1; $best / $floor" | bc)"
    printf '\n'
done
echo "instructions per message (callgrind); best/floor = fewest among the scanner paths / memchr floor"
