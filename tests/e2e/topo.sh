# Test topology of DESIGN.md ("Test topology"), sourced by the end-to-end
# tests and the demo: one namespace per host on one Ethernet segment (a
# bridge inside its own namespace; no veth end in the root namespace),
# addresses from TEST-NET-1:
#
#   client 192.0.2.10 --+
#   siplb  192.0.2.1  --+-- bridge (namespace $P-sw)
#     VIP  192.0.2.100  |
#   b1..b3 192.0.2.21-23+
#
# usage: . topo.sh; topo_up PREFIX; ...; topo_down PREFIX
# PREFIX makes the names unique per run (namespaces and interfaces).

TOPO_CLIENT=192.0.2.10
TOPO_SIPLB=192.0.2.1
TOPO_VIP=192.0.2.100
TOPO_BACKENDS="192.0.2.21 192.0.2.22 192.0.2.23"

topo_ns() { ip netns exec "$@"; }

# topo_host PREFIX NAME ADDR: a namespace with a veth to the bridge.
topo_host() {
    ns=$1-$2
    ip netns add "$ns"
    ip link add "$2" netns "$ns" type veth peer name "$1$2" netns "$1-sw"
    ip -n "$1-sw" link set "$1$2" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$3/24" dev "$2"
    ip -n "$ns" link set "$2" up
    # veth never fills in UDP checksums: senders must compute them.
    ip netns exec "$ns" ethtool -K "$2" tx off >/dev/null
}

topo_up() {
    p=$1
    ip netns add "$p-sw"
    ip -n "$p-sw" link add br0 type bridge
    ip -n "$p-sw" link set br0 up
    topo_host "$p" cl "$TOPO_CLIENT"
    topo_host "$p" lb "$TOPO_SIPLB"
    ip -n "$p-lb" addr add "$TOPO_VIP/32" dev lb
    i=1
    for a in $TOPO_BACKENDS; do
        topo_host "$p" "b$i" "$a"
        i=$((i + 1))
    done
}

topo_down() {
    for ns in $(ip netns list | awk '{print $1}' | grep "^$1-"); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}
