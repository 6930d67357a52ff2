#!/bin/sh
# Instructions per message for each scanner path, counted by single-stepping
# the real CPU under ptrace (siplb-bench-scan --insns, bench/insn_count.h):
# paths valgrind cannot run (AVX-512) are counted too, the same way
# scan_callgrind.sh counts (one more iteration of the bench's loop).
#
# usage: scan_insns.sh BENCH_BINARY MESSAGES_DIR [PATH...]
#            every path this CPU runs (or the PATHs), libc as it runs natively
#        scan_insns.sh --vs-callgrind BENCH_BINARY MESSAGES_DIR [PATH...]
#            the validation: ptrace beside callgrind, per message and path
#            (default floor scalar sse4.2 avx2 hyperscan), with glibc's
#            AVX-512 string functions hidden (GLIBC_TUNABLES, below) because
#            valgrind's CPUID hides AVX-512 from glibc, so both run the same
#            memchr/memset/memcpy. Hyperscan picks its own runtime from
#            CPUID (avx512_hs_scan natively, avx2_hs_scan under valgrind):
#            its two columns count different code.
set -eu
vs=
[ "${1:-}" = --vs-callgrind ] && { vs=1; shift; }
bench=$1 dir=$2
shift 2
if [ -z "$vs" ]; then
    exec "$bench" --insns "$dir" "$@"
fi
paths=${*:-floor scalar sse4.2 avx2 hyperscan}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086 # $paths: one word per path
GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD \
    "$bench" --insns "$dir" $paths > "$tmp/ptrace"
# shellcheck disable=SC2086
"$here/scan_callgrind.sh" "$bench" "$dir" $paths > "$tmp/callgrind"
# Both tables: a header "message PATH...", then one row per .sip file.
awk '$1 == "message" { delete name; for (i = 2; i <= NF; i++) name[i] = $i; next }
     $1 !~ /\.sip$/ { next }
     FILENAME ~ /ptrace$/ { for (i = 2; i <= NF; i++) pt[$1, name[i]] = $i; next }
     { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
       for (i = 2; i <= NF; i++) if (name[i] != "best/floor") cg[$1, name[i]] = $i }
     END {
       printf "%-14s %-10s %10s %10s %6s\n", "message", "path", "ptrace", "callgrind", "diff"
       for (k = 1; k <= n; k++)
         for (i = 2; i in name; i++) {
           key = order[k] SUBSEP name[i]
           if (!(key in pt) || !(key in cg)) continue
           printf "%-14s %-10s %10d %10d %6d\n", order[k], name[i], pt[key], cg[key], pt[key] - cg[key]
         }
     }' "$tmp/ptrace" "$tmp/callgrind"
echo "instructions per message; ptrace with glibc's AVX-512 variants hidden, as under valgrind"
