#!/bin/sh
# One scan's instructions split by function, inlined ones included: which
# part of the scanner (the walk, a value's parser, ...) takes them, on any
# path the CPU runs, AVX-512 included (callgrind's split covers the paths
# valgrind runs, not that one). The instructions come from
# `siplb-bench-scan --insns-trace` (ptrace single-step, insn_count.h), each
# mapped by addr2line to its chain of inlined functions
# (bench/inline_frames.py); a row is the outermost DEPTH of them. The total is --insns's figure plus about 28 for
# run()'s loop and the call around it (--insns counts 2 scans - 1).
#
# usage: scan_insns_split.sh BENCH_BINARY PATH FILE [DEPTH]
#        e.g. scan_insns_split.sh build/bench/siplb-bench-scan avx512 bench/messages/200ok.sip 3
set -eu
bench=$1 path=$2 file=$3 depth=${4:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bench" --insns-trace "$path" "$file" > "$tmp/trace"
sort "$tmp/trace" | uniq -c > "$tmp/counts"
python3 "$(dirname "$0")/inline_frames.py" "$bench" "$depth" < "$tmp/counts"
