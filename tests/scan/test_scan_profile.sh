#!/bin/sh
# The scanner's profile (-Dscan_pgo, dataplane/lib/scan/meson.build): the
# training run reached every path's scan function it counted (the scalar
# path, on any CPU, at least ROUNDS times: one message's rounds), and no
# program carries
# the instrumented copy (its runtime would write .profraw files wherever an
# operator runs it).
#
# usage: test_scan_profile.sh LLVM_PROFDATA PROFDATA ROUNDS PROGRAM...
set -eu
tool=$1 profile=$2 rounds=$3
shift 3
fail=0
counts=$("$tool" show --function=slb_sip_run_ "$profile" |
    awk '/^  slb_sip_run_/ { f = $1 } /Function count:/ { print f, $3 }')
echo "$counts"
scalar=$(echo "$counts" | awk '$1 == "slb_sip_run_scalar:" { print $2 }')
if [ -z "$scalar" ] || [ "$scalar" -lt "$rounds" ]; then
    echo "FAIL: the scalar path's scan ran ${scalar:-no} times in training, under $rounds"
    fail=1
fi
if echo "$counts" | awk '$2 == 0 { bad = 1 } END { exit !bad }'; then
    echo "FAIL: a path's scan function has no count"
    fail=1
fi
for p in "$@"; do
    if nm "$p" | grep -q __llvm_profile_runtime; then
        echo "FAIL: $p carries the instrumented scanner"
        fail=1
    fi
done
[ $fail = 0 ] && echo "all passed"
exit $fail
