#!/usr/bin/env python3
"""Instruction addresses of a binary mapped to their chains of inlined
functions (addr2line -i), for the benchmarks that split a count by
function, inlined ones included: bench/callgrind_inlined.py (innermost
frame) and bench/scan_insns_split.sh (outermost frames).

As a command: lines "COUNT ADDR" on stdin (uniq -c of hexadecimal
addresses, with or without 0x), the counts summed by the outermost DEPTH
functions of each address's chain ("outer > inner"), largest first, with
the total as "(all)". The binary needs DWARF 4 debug information (what
meson.build asks for): binutils 2.40's addr2line finds no inline frames in
clang 14's DWARF 5.

usage: inline_frames.py BINARY [DEPTH] < counts
"""
import collections
import subprocess
import sys


def chains(binary_path, addrs):
    """Address -> [(function, file), ...], innermost frame first."""
    frames = {}
    addrs = sorted(set(addrs))
    for i in range(0, len(addrs), 4000):
        chunk = addrs[i:i + 4000]
        out = subprocess.run(['addr2line', '-a', '-i', '-f', '-e', binary_path] +
                             [hex(a) for a in chunk],
                             capture_output=True, text=True, check=True).stdout.split('\n')
        # per address: "0xADDR", then a function and its file:line per level
        cur, k = None, 0
        while k < len(out):
            line = out[k]
            if line.startswith('0x'):
                cur, k = int(line, 16), k + 1
                frames.setdefault(cur, [])
                continue
            if cur is not None and line:
                where = out[k + 1].rsplit('/', 1)[-1].split(':')[0] if k + 1 < len(out) else '?'
                frames[cur].append((line, where))
            k += 2
    return frames


def split_outermost(counts, frames, depth):
    """The counts (address -> count) summed by the outermost depth functions
    of each address's chain, joined by ' > '."""
    by = collections.Counter()
    for addr, n in counts.items():
        names = [fn for fn, _ in reversed(frames.get(addr, []))] or ['??']
        by[' > '.join(names[:depth])] += n
    return by


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary_path = sys.argv[1]
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    counts = collections.Counter()
    for line in sys.stdin:
        fields = line.split()
        if len(fields) == 2:
            counts[int(fields[1], 16)] += int(fields[0])
    rows = split_outermost(counts, chains(binary_path, counts), depth)
    rows['(all)'] = sum(counts.values())
    for name, n in rows.most_common():
        print('%6d  %s' % (n, name))


if __name__ == '__main__':
    main()
