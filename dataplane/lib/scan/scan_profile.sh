#!/bin/sh
# The product scanner's profile (meson.build here): scan-train run over the
# training messages with its counts written to a scratch directory, merged
# by llvm-profdata into PROFDATA; STAMP, a header that names it, orders the
# product scanner's compiles after this step.
#
# usage: scan_profile.sh SCAN_TRAIN LLVM_PROFDATA PROFDATA STAMP ROUNDS DIR...
set -eu
train=$1 profdata_tool=$2 out=$3 stamp=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
LLVM_PROFILE_FILE="$tmp/%p.profraw" "$train" "$@"
"$profdata_tool" merge -o "$out" "$tmp"/*.profraw
printf '/* generated: the scanner objects are compiled with the profile %s */\n' \
    "$(basename "$out")" > "$stamp"
