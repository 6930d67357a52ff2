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
# what one INVITE costs in the proxy (slb_proxy_handle: scanner and
# rewrite) and in handing the result to the TX burst (deliver), start-up
# and the PMDs' own work left out.
# usage: bench/dp_pcap_bench.sh [--callgrind] BUILD_DIR [SECONDS]   (root)
set -eu
callgrind=
if [ "$1" = --callgrind ]; then
    callgrind=1
    shift
fi
build=$(cd "$1" && pwd)
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/siplb-pcapbench.XXXXXX)
bpffs=/run/siplb-pcapbench-$$
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
hp_before=$(cat $hp)
mounted_huge=

cleanup() {
    umount "$bpffs" 2>/dev/null || true
    rmdir "$bpffs" 2>/dev/null || true
    [ -n "$mounted_huge" ] && umount /dev/hugepages 2>/dev/null || true
    echo "$hp_before" > $hp
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$bpffs"
mount -t bpf bpf "$bpffs"
cat > "$work/siplb.conf" <<CONF
bpffs = "$bpffs";
dataplane = { ports = (
  { name = "net_pcap0"; address = "198.51.100.1"; prefix = 24; },
  { name = "net_null0"; address = "192.0.2.1"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "192.0.2.100"; port = 5060; pool = "core"; } );
pools = ( { name = "core"; backends = (
  { address = "192.0.2.21"; port = 5060; weight = 50; },
  { address = "192.0.2.22"; port = 5060; weight = 30; },
  { address = "192.0.2.23"; port = 5060; weight = 20; } ); } );
CONF
"$build/control/siplbd" --config "$work/siplb.conf" --once >/dev/null 2>&1
dp_args="--config $work/siplb.conf --static-mac net_pcap0=02:00:00:00:00:01
         --static-mac net_null0=02:00:00:00:00:02"

# Instructions of function $2 (inclusive) in callgrind output $1.
ir_of() {
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
        awk -v f=":$2 " 'index($0, f) {gsub(",", "", $1); print $1; exit}'
}

if [ -n "$callgrind" ]; then
    for n in 1000 3000; do
        python3 "$here/make_sip_pcap.py" "$work/in$n.pcap" $n >/dev/null
        # shellcheck disable=SC2086
        valgrind --tool=callgrind --callgrind-out-file="$work/cg$n.out" \
            "$build/dataplane/app/siplb-dp" --no-huge -m 256 -l 0 --no-pci \
            --file-prefix pc$$ --vdev "net_pcap0,rx_pcap=$work/in$n.pcap,tx_pcap=/dev/null" \
            --vdev net_null0,no-rx=1 -- $dp_args --exit-when-idle 200 >"$work/cg$n.log" 2>&1
    done
    for f in slb_proxy_handle slb_sip_scan deliver; do
        a=$(ir_of "$work/cg1000.out" $f) b=$(ir_of "$work/cg3000.out" $f)
        if [ -z "$a" ] || [ -z "$b" ]; then
            printf '%-18s inlined by this build: counted in its caller\n' "$f"
            continue
        fi
        printf '%-18s %6d instructions per INVITE\n' "$f" $(( (b - a) / 2000 ))
    done
    echo "(callgrind; slb_proxy_handle includes slb_sip_scan)"
    exit 0
fi

echo 512 > $hp   # 1 GiB: both runs' pools, one after the other
if ! grep -q " /dev/hugepages hugetlbfs" /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages
    mounted_huge=1
fi
echo "hugepages: $(cat $hp) x 2 MB reserved"
python3 "$here/make_sip_pcap.py" "$work/in.pcap" 1024 >/dev/null

vdevs="--vdev net_pcap0,rx_pcap=$work/in.pcap,tx_pcap=/dev/null,infinite_rx=1 --vdev net_null0,no-rx=1"
sent() {   # requests siplb-dp sent to backends, all lcores
    "$build/control/siplbd" --stats --json --bpffs "$bpffs" |
        python3 -c 'import json,sys; print(sum(b["msgs"] for b in json.load(sys.stdin)["backends"]))'
}

# shellcheck disable=SC2086
"$build/dataplane/app/siplb-dp" -l 1 --file-prefix pb$$ --no-pci $vdevs -- $dp_args \
    >"$work/dp.log" 2>&1 &
dp=$!
sleep 3   # start and warm up
a=$(sent); t0=$(date +%s.%N)
sleep "$secs"
b=$(sent); t1=$(date +%s.%N)
kill -INT $dp; wait $dp || true
siplb=$(echo "($b - $a) / ($t1 - $t0)" | bc)
grep -E "drop|malformed" "$work/dp.log" | head -5 || true

# shellcheck disable=SC2086
timeout $((secs + 20)) dpdk-testpmd -l 0,1 --file-prefix pt$$ --no-pci $vdevs -- \
    --forward-mode=io --nb-cores=1 --stats-period=1 >"$work/testpmd.log" 2>&1 &
tp=$!
sleep $((secs + 3))
kill -INT $tp; wait $tp || true
# port 1's Tx-pps (what testpmd forwarded) each second; the median after the first two
testpmd=$(awk '/NIC statistics for port/ {port = $6} /Tx-pps:/ && port == 1 {print $2}' \
          "$work/testpmd.log" | tail -n +3 | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')

echo "siplb-dp  proxy mode (parse, Maglev, Via insert, checksums): $siplb msgs/s ($(echo "1000000000 / $siplb" | bc) ns each)"
echo "testpmd   io forwarding, same vdevs:                         $testpmd pkts/s"
echo "ratio     siplb-dp / testpmd: $(echo "scale=3; $siplb / $testpmd" | bc)"
