#!/bin/sh
# Instructions per request that routing rules add (docs/rules.md), counted
# by callgrind: (Ir at 3000 - Ir at 1000 matches) / 2000, minus the same
# for the scan alone, so the rules' compile and start-up cancel out.
# usage: rules_callgrind.sh BENCH_BINARY MESSAGE [RULES...]
set -eu
bench=$1 msg=$2
shift 2
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" --one "$@" \
        2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per() { a=$(ir "$1" 1000 "$msg" $2) b=$(ir "$1" 3000 "$msg" $2); echo $(( (b - a) / 2000 )); }
base=$(per 0 "")
echo "scan alone: $base instructions per request"
printf '%8s %10s %12s %12s %12s %12s\n' rules mix ruri-prefix ua-regex source method+host
for n in ${*:-10 100 1000}; do
    printf '%8s' "$n"
    for kind in "" 0 1 2 3; do printf ' %10s' "$(( $(per "$n" "$kind") - base ))"; done
    printf '\n'
done
echo "instructions added per request (callgrind); mix = the four kinds in turn"
