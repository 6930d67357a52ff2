#!/bin/sh
# run_steer_set.sh TEST_STEER_SET: one namespace of its own holding a veth
# pair (veth-s0, veth-s1) for test_steer_set; deleted at the end and on
# failure. Exit 77 (skip) when not root.
set -eu

test_bin=$1
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (creates a network namespace)"
    exit 77
fi

ns=slbs-$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$ns"
ip -n "$ns" link add veth-s0 type veth peer name veth-s1
ip -n "$ns" link set veth-s0 up
ip -n "$ns" link set veth-s1 up
ip netns exec "$ns" timeout 30 "$test_bin" veth-s0 veth-s1
