#!/bin/sh
# run_neigh.sh TEST_NEIGH: two hosts, one veth pair between them, for
# dataplane/dp_neigh.c. Host a (192.0.2.1/24, veth-a) runs the test; host b
# (192.0.2.2/24, veth-b) only answers ARP. No veth end in the root namespace;
# both namespaces are deleted at the end and on failure.
# Exit 77 (skip) when not root: namespaces need CAP_SYS_ADMIN.
set -eu

test_bin=$1
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (creates network namespaces)"
    exit 77
fi

a=slbn-a-$$
b=slbn-b-$$
eal_prefix=slbn-$$
cleanup() {
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    # EAL's runtime directory: rte_eal_cleanup() leaves it in /var/run (tmpfs)
    rm -rf "/var/run/dpdk/$eal_prefix"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add veth-a type veth peer name veth-b netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev veth-a
ip -n "$b" addr add 192.0.2.2/24 dev veth-b
for ns in "$a" "$b"; do
    ip -n "$ns" link set lo up
done
ip -n "$a" link set veth-a up
ip -n "$b" link set veth-b up

# The MAC the test must learn for 192.0.2.2, as ip(8) shows it in host b.
mac_b=$(ip -n "$b" -o link show veth-b | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
if [ -z "$mac_b" ]; then
    echo "FAIL: no MAC for veth-b in $b"
    exit 1
fi
echo "host b: 192.0.2.2 is $mac_b"

# Bounded: the test's own waits are at most 2 s each.
ip netns exec "$a" timeout 50 "$test_bin" veth-a "$mac_b" "$eal_prefix"
