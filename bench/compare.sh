#!/bin/sh
# siplb against Kamailio 5.6's dispatcher on this machine, in one command
# (bench/compare.py says how). As root, after `ninja -C BUILD_DIR`.
# Installs Kamailio from Debian when it is missing; bounded in time; the
# namespaces and processes it starts are removed on exit, also on failure.
# usage: bench/compare.sh [BUILD_DIR] [TRIAL_SECONDS]
set -eu
here=$(dirname "$0")
build=${1:-build}
if ! command -v kamailio >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends kamailio
fi
exec timeout 900 python3 "$here/compare.py" "$build" "${2:-2}"
