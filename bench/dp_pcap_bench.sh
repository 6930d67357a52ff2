#!/bin/sh
# siplb-dp against dpdk-testpmd on the same vdevs, same run: INVITEs replayed
# forever from a pcap (net_pcap infinite_rx) into one port, sent to a
# net_null port; one worker lcore each; 2 MB hugepages reserved here and
# given back at the end. Prints messages/s of both and the ratio.
# usage: bench/dp_pcap_bench.sh BUILD_DIR [SECONDS]   (root)
set -eu
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

echo 512 > $hp   # 1 GiB: both runs' pools, one after the other
if ! grep -q " /dev/hugepages hugetlbfs" /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages
    mounted_huge=1
fi
echo "hugepages: $(cat $hp) x 2 MB reserved"

python3 "$here/make_sip_pcap.py" "$work/in.pcap" 1024 >/dev/null
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

vdevs="--vdev net_pcap0,rx_pcap=$work/in.pcap,tx_pcap=/dev/null,infinite_rx=1 --vdev net_null0,no-rx=1"
sent() {   # requests siplb-dp sent to backends, all lcores
    "$build/control/siplbd" --stats --json --bpffs "$bpffs" |
        python3 -c 'import json,sys; print(sum(b["msgs"] for b in json.load(sys.stdin)["backends"]))'
}

# shellcheck disable=SC2086
"$build/dataplane/app/siplb-dp" -l 1 --file-prefix pb$$ --no-pci $vdevs -- \
    --config "$work/siplb.conf" --static-mac net_pcap0=02:00:00:00:00:01 \
    --static-mac net_null0=02:00:00:00:00:02 >"$work/dp.log" 2>&1 &
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

echo "siplb-dp  proxy mode (parse, Maglev, Via insert, checksums): $siplb msgs/s"
echo "testpmd   io forwarding, same vdevs:                         $testpmd pkts/s"
echo "ratio     siplb-dp / testpmd: $(echo "scale=3; $siplb / $testpmd" | bc)"
