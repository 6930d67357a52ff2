#!/bin/sh
# siplb-dp against dpdk-testpmd on the same vdevs, same run: INVITEs replayed
# forever from a pcap (net_pcap infinite_rx) into one port, sent to a
# net_null port; one worker lcore each; 2 MB hugepages reserved here and
# given back at the end. Prints messages/s of both, the ratio, and the
# nanoseconds per message that siplb-dp's rate means.
#
# With --callgrind: no clock but instruction counts, repeatable on a busy
# machine. siplb-dp (no hugepages) runs under callgrind once over 1000
# INVITEs and once over 3000 from a plain pcap; the difference over 2000 is
# what one INVITE costs in the proxy (slb_proxy_handle_burst: scanner and
# rewrite) and in handing the result to the TX burst (deliver), start-up
# and the PMDs' own work left out. CACHE_SIM=1 adds callgrind's cache
# simulation: the L1 data, L1 instruction and last-level misses of each.
#
# With --lcores: siplb-dp alone, on 1 and then 2 worker lcores (-l 1, then
# -l 0,1; one infinite_rx pcap per RX queue, so each worker has its own
# stream), three rounds alternated. Prints each run's messages/s, the CPU
# its process got (utime + stime over the window) and what the rest of the
# machine used, so that a 2-lcore figure short of twice the 1-lcore one
# says whether the workers or the machine ran out.
#
# With --rules: what routing rules (docs/rules.md) add per INVITE, for 10,
# 100, 1,000 and 10,000 rules on the VIP that the INVITEs do not match (so
# every rule is looked at and every message still forwarded), each beside
# the no-rules path measured just before it; a realistic mix in turn:
# R-URI user prefixes, User-Agent regexes, source prefixes, method + R-URI
# host. With --rules --callgrind: the same as instructions per INVITE;
# CACHE_SIM=1 adds callgrind's cache simulation (this VM has no PMU to
# count real misses): the L1 data, L1 instruction and last-level misses per
# INVITE, beside the no-rules path's.
# With --rounds R: R rounds of one siplb-dp run and one testpmd run, the
# order turned each round, and with --also BUILD_B a run of that build's
# siplb-dp in each round too (an A/B in the same minutes); each round's ns
# per INVITE and ratio to that round's testpmd, then the medians. This
# machine's speed drifts by 10-20 % between hours (testpmd too), so one
# pair of runs says little about 2 %.
# usage: bench/dp_pcap_bench.sh [--callgrind [--inlined] | --lcores |
#                               --rules [--callgrind] |
#                               --rounds R [--also BUILD_B]] BUILD_DIR [SECONDS]   (root)
set -eu
callgrind=''
lcores=''
rules=''
case "$1" in
    --rules) rules=1; shift ;;
esac
case "$1" in
    --callgrind) callgrind=1; shift ;;
    --lcores) lcores=1; shift ;;
esac
inlined=''
if [ -n "$callgrind" ] && [ "$1" = --inlined ]; then
    inlined=1
    shift
fi
rounds='' also=''
if [ -z "$callgrind$lcores$rules" ] && [ "$1" = --rounds ]; then
    rounds=$2
    shift 2
    case "$rounds" in ''|*[!0-9]*|0) echo "--rounds takes a count of rounds, not '$rounds'" >&2; exit 2 ;; esac
    if [ "$1" = --also ]; then
        also=$(cd "$2" && pwd)
        shift 2
    fi
fi
build=$(cd "$1" && pwd)
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/siplb-pcapbench.XXXXXX)
bpffs=/run/siplb-pcapbench-$$
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
# One run at a time: two would skew each other's figures, and each saves
# the hugepage count and puts it back at exit, so interleaved runs put back
# each other's (a run left 6 pages reserved on 2026-12-05).
exec 9>/run/lock/siplb-dp-pcap-bench.lock
if ! flock -n 9; then
    echo "dp_pcap_bench.sh: another run holds /run/lock/siplb-dp-pcap-bench.lock; waiting" >&2
    flock 9
fi
hp_before=$(cat $hp)
mounted_huge=

cleanup() {
    # lazily when busy: a siplbd or siplb-dp still exiting holds it, and a
    # plain umount then failed and left one mount per run behind
    umount "$bpffs" 2>/dev/null || umount -l "$bpffs" 2>/dev/null || true
    rmdir "$bpffs" 2>/dev/null || true
    [ -n "$mounted_huge" ] && umount /dev/hugepages 2>/dev/null || true
    echo "$hp_before" > $hp
    rm -rf "$work"
    # EAL's runtime directories of this run's prefixes: testpmd leaves its
    # own in /var/run (a tmpfs), run after run
    rm -rf /var/run/dpdk/pc$$ /var/run/dpdk/pl$$ /var/run/dpdk/pt$$
}
# A signal ends the run through exit, so that cleanup runs once on every
# way out: a run piped into head died of SIGPIPE and left its bpffs
# mounted (six of them on 2026-12-05).
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

mkdir -p "$bpffs"
mount -t bpf bpf "$bpffs"

# Rule i of the mix, none matching make_sip_pcap.py's INVITEs (R-URI user
# +1415555..., User-Agent siplb-bench, from 198.51.100.0/24 to 192.0.2.100),
# as bench/bench_rules.c's: the matcher alone, for comparison.
rules_mix() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++) {
            k = i % 4
            if (k == 0) m = sprintf("ruri_user = { prefix = \"+4930%d\" };", i)
            else if (k == 1) m = sprintf("user_agent = { regex = \"scanner-%d|bot%d/[0-9]+\" };", i, i)
            else if (k == 2) m = sprintf("source = \"10.%d.%d.0/24\";", int(i / 256), i % 256)
            else m = sprintf("method = \"INVITE\"; ruri_host = \"h%d.example.com\";", i)
            printf "%s\n    { match = { %s }; action = \"drop\"; }", (i ? "," : ""), m
        } }'
}

# siplb.conf with $1 rules on the VIP (0: no rules, the path without them),
# published by siplbd. Hyperscan compiles for the CPU it runs on, and a
# database is refused by a CPU without its features: under callgrind
# (no AVX-512) siplbd compiles under valgrind too, for the same CPU.
siplbd_cpu=''
[ -n "$callgrind" ] && siplbd_cpu="valgrind --tool=none -q"
publish() {
    vip_rules=''
    [ "$1" -gt 0 ] && vip_rules="rules = ( $(rules_mix "$1")
  );"
    cat > "$work/siplb.conf" <<CONF
bpffs = "$bpffs";
rule_maps = { capacity = 67108864; counters = 16384; };
dataplane = { ports = (
  { name = "net_pcap0"; address = "198.51.100.1"; prefix = 24; },
  { name = "net_null0"; address = "192.0.2.1"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "192.0.2.100"; port = 5060; pool = "core"; $vip_rules } );
pools = ( { name = "core"; backends = (
  { address = "192.0.2.21"; port = 5060; weight = 50; },
  { address = "192.0.2.22"; port = 5060; weight = 30; },
  { address = "192.0.2.23"; port = 5060; weight = 20; } ); } );
CONF
    $siplbd_cpu "$build/control/siplbd" --config "$work/siplb.conf" --once \
        >"$work/siplbd.log" 2>&1 ||
        { cat "$work/siplbd.log"; exit 1; }
}
publish 0
dp_args="--config $work/siplb.conf --static-mac net_pcap0=02:00:00:00:00:01
         --static-mac net_null0=02:00:00:00:00:02"
rule_sizes=${RULE_SIZES:-10 100 1000 10000}  # RULE_SIZES="..." for others

# Events of function $2 (inclusive) in callgrind output $1: instructions,
# or with $3 = misses, L1 data, L1 instruction and last-level misses.
ir_of() {
    show=Ir
    [ "${3:-}" = misses ] && show=D1mr,D1mw,I1mr,DLmr,DLmw,ILmr
    callgrind_annotate --inclusive=yes --threshold=100 --show=$show "$1" 2>/dev/null |
        awk -v f=":$2 " -v misses="${3:-}" 'index($0, f) {
            gsub(",", ""); gsub(/\([^)]*\)/, "")
            if (misses) print $1 + $2, $3, $4 + $5 + $6; else print $1
            exit}'
}

# siplb-dp under callgrind over 1000 and over 3000 INVITEs (cg1000.out,
# cg3000.out), with the state published last.
callgrind_runs() {
    for invites in 1000 3000; do
        [ -f "$work/in$invites.pcap" ] ||
            python3 "$here/make_sip_pcap.py" "$work/in$invites.pcap" $invites >/dev/null
        # shellcheck disable=SC2086
        valgrind --tool=callgrind ${CACHE_SIM:+--cache-sim=yes} \
            ${inlined:+--dump-instr=yes --compress-pos=no --compress-strings=no} \
            --callgrind-out-file="$work/cg$invites.out" \
            "$build/dataplane/app/siplb-dp" --no-huge -m 256 -l 0 --no-pci \
            --file-prefix pc$$ \
            --vdev "net_pcap0,rx_pcap=$work/in$invites.pcap,tx_pcap=/dev/null" \
            --vdev net_null0,no-rx=1 -- $dp_args --exit-when-idle 200 \
            >"$work/cg$invites.log" 2>&1
    done
}

# siplb-dp's log $1 says it took the rules and none matched (every INVITE
# forwarded); the figure means nothing otherwise.
rules_loaded() {
    if grep -E "rules blob|drop rule" "$1"; then
        echo "siplb-dp did not run the rules as published (above): no figure" >&2
        exit 1
    fi
}

# Instructions per INVITE of function $1 between the two runs, or nothing
# when this build inlined it.
per_invite() {
    a=$(ir_of "$work/cg1000.out" "$1") b=$(ir_of "$work/cg3000.out" "$1")
    [ -n "$a" ] && [ -n "$b" ] && echo $(( (b - a) / 2000 ))
}

# L1 data, L1 instruction and last-level misses per INVITE of function $1
# between the two runs (CACHE_SIM=1), to one decimal.
misses_per_invite() {
    { ir_of "$work/cg1000.out" "$1" misses; ir_of "$work/cg3000.out" "$1" misses; } |
        awk 'NR == 1 {split($0, a)} NR == 2 {
            printf "%.1f %.1f %.1f", ($1 - a[1]) / 2000, ($2 - a[2]) / 2000, ($3 - a[3]) / 2000}'
}

if [ -n "$callgrind" ] && [ -n "$rules" ]; then
    callgrind_runs
    base=$(per_invite slb_proxy_handle_burst)
    printf '%8s %12s %12s' rules "instr/INVITE" added
    [ -n "${CACHE_SIM:-}" ] && printf ' %9s %9s %9s' D1-misses I1-misses LL-misses
    printf '\n%8s %12s %12s' 0 "$base" -
    [ -n "${CACHE_SIM:-}" ] && printf ' %9s %9s %9s' $(misses_per_invite slb_proxy_handle_burst)
    echo
    for n in $rule_sizes; do
        publish "$n"
        callgrind_runs
        ir=$(per_invite slb_proxy_handle_burst) ||
            { tail -n 5 "$work/cg1000.log" "$work/cg3000.log"; echo "$n rules: no figure"; exit 1; }
        rules_loaded "$work/cg3000.log"
        printf '%8s %12s %12s' "$n" "$ir" $((ir - base))
        [ -n "${CACHE_SIM:-}" ] && printf ' %9s %9s %9s' $(misses_per_invite slb_proxy_handle_burst)
        echo
    done
    echo "(callgrind, slb_proxy_handle_burst inclusive: scan, rules, rewrite; misses per INVITE"
    echo " from callgrind's cache simulation when CACHE_SIM=1)"
    exit 0
fi

if [ -n "$callgrind" ]; then
    callgrind_runs
    for f in slb_proxy_handle_burst slb_sip_scan deliver; do
        ir=$(per_invite $f) ||
            { printf '%-18s inlined by this build: counted in its caller\n' "$f"; continue; }
        printf '%-18s %6d instructions per INVITE' "$f" "$ir"
        # shellcheck disable=SC2046,SC2183 # three numbers, split into printf's
        [ -n "${CACHE_SIM:-}" ] &&
            printf ', misses D1 %s I1 %s LL %s' $(misses_per_invite "$f")
        echo
    done
    echo "(callgrind; slb_proxy_handle_burst includes slb_sip_scan; misses per INVITE"
    echo " from callgrind's cache simulation when CACHE_SIM=1)"
    if [ -n "$inlined" ]; then
        echo
        python3 "$here/callgrind_inlined.py" "$build/dataplane/app/siplb-dp" \
            "$work/cg1000.out" 1000 "$work/cg3000.out" 3000 45
    fi
    exit 0
fi

echo 512 > $hp   # 1 GiB: both runs' pools, one after the other
if ! grep -q " /dev/hugepages hugetlbfs" /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages
    mounted_huge=1
fi
echo "hugepages: $(cat $hp) x 2 MB reserved"
"$here/machine.sh"
python3 "$here/make_sip_pcap.py" "$work/in.pcap" 1024 >/dev/null

vdevs() {  # the INVITEs replayed forever into each of $1 queues; net_null takes all
    printf -- '--vdev net_pcap0'
    for _ in $(seq "$1"); do printf ',rx_pcap=%s,tx_pcap=/dev/null' "$work/in.pcap"; done
    printf ',infinite_rx=1 --vdev net_null0,no-rx=1'
}
sent() {   # requests siplb-dp sent to backends, all lcores
    "$build/control/siplbd" --stats --json --bpffs "$bpffs" |
        python3 -c 'import json,sys; print(sum(b["msgs"] for b in json.load(sys.stdin)["backends"]))'
}
ticks() {  # CPU ticks of process $1 (utime + stime), or of the machine (not idle)
    if [ -n "${1:-}" ]; then
        awk '{print $14 + $15}' "/proc/$1/stat"
    else
        awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
    fi
}

# siplb-dp on lcores $1 with $2 RX queues of the pcap: msgs/s (also in
# $rate), CPU of its process and of everything else, in CPUs (1.0 = one core
# all the window).
run_lcores() {
    # shellcheck disable=SC2046,SC2086
    "${dp_build:-$build}/dataplane/app/siplb-dp" -l "$1" --file-prefix pl$$ --no-pci $(vdevs "$2") -- \
        $dp_args >"$work/dp-$2.log" 2>&1 &
    dp=$!
    sleep 3   # start and warm up
    if ! kill -0 $dp 2>/dev/null; then
        echo "siplb-dp (${dp_build:-$build}) did not start; its log:" >&2
        tail -n 20 "$work/dp-$2.log" >&2
        exit 1
    fi
    a=$(sent); p0=$(ticks $dp); m0=$(ticks); t0=$(date +%s.%N)
    sleep "$secs"
    b=$(sent); p1=$(ticks $dp); m1=$(ticks); t1=$(date +%s.%N)
    kill -INT $dp; wait $dp || true
    rate=$(echo "($b - $a) / ($t1 - $t0)" | bc)
    echo "$2 $((b - a)) $((p1 - p0)) $((m1 - m0)) $(getconf CLK_TCK) $t0 $t1" | awk '{
        w = $7 - $6; own = $3 / $5 / w; rest = $4 / $5 / w - own;
        printf "%d lcore%s: %8.0f msgs/s, siplb-dp %.2f CPU (%.0f msgs per CPU-second), the rest %.2f CPU\n",
               $1, ($1 > 1 ? "s" : " "), $2 / w, own, $2 / w / own, rest}'
    grep -E "  drop |malformed|queue [0-9]+:" "$work/dp-$2.log" | head -6 || true
}

# ns per message of a run_lcores line: per second of the CPU siplb-dp got,
# not of the wall clock, which a busy machine stretches.
ns_per_cpu() {
    sed -n 's/.*(\([0-9]*\) msgs per CPU-second).*/\1/p' "$1" |
        awk '{printf "%d", 1e9 / $1}'
}

if [ -n "$rules" ]; then
    echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%8s %14s %14s %10s\n' rules "no rules ns" "rules ns" "added ns"
    for n in $rule_sizes; do
        publish 0
        run_lcores 1 1 >"$work/run0-$n.txt"
        publish "$n"
        run_lcores 1 1 >"$work/run-$n.txt"
        rules_loaded "$work/dp-1.log"
        without=$(ns_per_cpu "$work/run0-$n.txt") with=$(ns_per_cpu "$work/run-$n.txt")
        printf '%8s %14s %14s %10s\n' "$n" "$without" "$with" $((with - without))
        head -qn1 "$work/run0-$n.txt" "$work/run-$n.txt" | sed 's/^/         /'
    done
    echo "(ns per INVITE per CPU-second siplb-dp got, one lcore; each size beside a run"
    echo " without rules just before it)"
    exit 0
fi

if [ -n "$lcores" ]; then
    echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for _ in 1 2 3; do
        run_lcores 1 1
        run_lcores 0,1 2
    done
    exit 0
fi

median() {  # of the numbers on stdin
    sort -n | awk '{v[NR] = $1} END {
        printf "%.10g\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# testpmd's io forwarding on the same vdevs: packets/s in $testpmd.
run_testpmd() {
    # shellcheck disable=SC2046
    timeout $((secs + 20)) dpdk-testpmd -l 0,1 --file-prefix pt$$ --no-pci $(vdevs 1) -- \
        --forward-mode=io --nb-cores=1 --stats-period=1 >"$work/testpmd.log" 2>&1 &
    tp=$!
    sleep $((secs + 3))
    kill -INT $tp; wait $tp || true
    # port 1's Tx-pps (what testpmd forwarded) each second; the median after the first two
    testpmd=$(awk '/NIC statistics for port/ {port = $6} /Tx-pps:/ && port == 1 {print $2}' \
              "$work/testpmd.log" | tail -n +3 | median)
}

# --rounds: each contender (A, B, testpmd) once a round, the order turned
# by one each round; ns per INVITE and the ratio to the round's testpmd.
if [ -n "$rounds" ]; then
    contenders="A${also:+ B} T"
    n=$(echo "$contenders" | wc -w)
    : >"$work/rounds"
    for r in $(seq "$rounds"); do
        order=$(echo "$contenders" | tr ' ' '\n' | awk -v k=$(( (r - 1) % n )) -v n="$n" \
                '{c[NR - 1] = $1} END {for (i = 0; i < n; i++) printf "%s ", c[(i + k) % n]}')
        rate_a='' rate_b=''  # not a and b: run_lcores has those
        for c in $order; do
            case $c in
                A) dp_build=$build run_lcores 1 1 >/dev/null; rate_a=$rate ;;
                B) dp_build=$also run_lcores 1 1 >/dev/null; rate_b=$rate ;;
                T) run_testpmd ;;
            esac
            if [ "$c" != T ] && [ "${rate:-0}" -le 0 ]; then
                echo "round $r: siplb-dp ($c) forwarded nothing; its log:" >&2
                tail -n 20 "$work/dp-1.log" >&2
                exit 1
            fi
        done
        echo "$r $rate_a ${rate_b:-0} $testpmd" >>"$work/rounds"
        echo "$r $rate_a ${rate_b:-0} $testpmd" | awk -v also="$also" '{
            printf "round %d: A %d ns (ratio %.3f)", $1, 1e9 / $2, $2 / $4
            if (also) printf ", B %d ns (ratio %.3f)", 1e9 / $3, $3 / $4
            printf ", testpmd %.1f M pkts/s\n", $4 / 1e6 }'
    done
    echo "$rounds rounds, the order turned each round (A: $build${also:+, B: $also}):"
    printf '  A  median %s ns per INVITE, ratio to testpmd %s\n' \
        "$(awk '{print int(1e9 / $2)}' "$work/rounds" | median)" \
        "$(awk '{printf "%.3f\n", $2 / $4}' "$work/rounds" | median)"
    if [ -n "$also" ]; then
        printf '  B  median %s ns per INVITE, ratio to testpmd %s; B took less time than A in %s of %s rounds\n' \
            "$(awk '{print int(1e9 / $3)}' "$work/rounds" | median)" \
            "$(awk '{printf "%.3f\n", $3 / $4}' "$work/rounds" | median)" \
            "$(awk '$3 > $2' "$work/rounds" | wc -l)" "$rounds"
    fi
    printf '  testpmd median %s pkts/s\n' "$(awk '{print $4}' "$work/rounds" | median)"
    exit 0
fi

run_lcores 1 1
siplb=$rate
run_testpmd

echo "siplb-dp  proxy mode (parse, Maglev, Via insert, checksums): $siplb msgs/s ($(echo "1000000000 / $siplb" | bc) ns each)"
echo "testpmd   io forwarding, same vdevs:                         $testpmd pkts/s"
echo "ratio     siplb-dp / testpmd: $(echo "scale=3; $siplb / $testpmd" | bc)"
