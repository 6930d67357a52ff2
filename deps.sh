#!/bin/sh
# Installs everything siplb builds and tests with, from Debian 12's apt
# registry. Idempotent: when every package is present it only checks.
set -eu

PKGS="build-essential meson ninja-build pkg-config python3 python3-pyelftools
clang llvm lld libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev
dpdk dpdk-dev libdpdk-dev libhyperscan-dev libjemalloc-dev libjson-c-dev
libxdp-dev libpcap-dev libnuma-dev libconfig-dev libmnl-dev
linux-libc-dev iproute2 iputils-ping ethtool sip-tester tshark sngrep valgrind bc
libmicrohttpd-dev curl python3-prometheus-client prometheus
libc-ares-dev unbound libsodium-dev kamailio libsystemd-dev nettle-dev gnuplot-nox
scdoc debhelper dpkg-dev bash-completion man-db systemd"

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
for p in $PKGS; do
    installed "$p" || missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no, quietly.
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
        | debconf-set-selections
    apt-get update -q
    # Intel's Hyperscan, not Debian's Vectorscan 5.4.9, which misses
    # multi-literal matches a few bytes before a field's end (docs/rules.md,
    # "Hyperscan, not Vectorscan"): the two conflict, so a Vectorscan
    # already here goes ("pkg-" removes it in the same transaction).
    replace=""
    for p in libvectorscan-dev libvectorscan5; do
        if installed "$p"; then
            replace="$replace $p-"
        fi
    done
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing $replace
else
    echo "deps: all present"
fi

# Kamailio is a test peer that the tests start in their own namespaces with
# their own config, and prometheus is there for its promtool (the metrics
# tests' linter); both packages enable a system service on install (and
# start it where systemd runs): stop them and keep them disabled.
for svc in kamailio prometheus; do
    if [ -e /etc/systemd/system/multi-user.target.wants/$svc.service ] &&
       command -v systemctl >/dev/null; then
        systemctl disable $svc.service
        if [ -d /run/systemd/system ]; then
            systemctl stop $svc.service
        fi
    fi
done
