#!/usr/bin/env python3
"""Two or more builds' scanners A/B on the same messages, alternated.

Each round runs `siplb-bench-scan --one PATH N FILE` of every build on every
message, the builds' order turned each round, pinned to one CPU, and takes
the process's wall time over N scans as ns a scan, start-up included
(about 13 ms a process here, 1.3 ns a scan at N = 10 million, the same on
every side: the ratios understate a difference by about that much);
prints each build's median and range per message. For changes worth a few percent, where the table of
siplb-bench-scan (all paths, one build) takes minutes a run and the
machine's speed drifts between runs.

usage: bench/scan_ab.py BUILD_A,BUILD_B[,...] MSG[,MSG...] [ROUNDS] [--path avx512] [--cpu 1]
       MSG: a file, or a name in bench/messages without .sip (200ok, invite, ...)
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def message_path(m):
    return m if os.path.exists(m) else os.path.join(HERE, 'messages', m + '.sip')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('builds')
    ap.add_argument('messages')
    ap.add_argument('rounds', nargs='?', type=int, default=5)
    ap.add_argument('--path', default='avx512')
    ap.add_argument('--cpu', default='1')
    ap.add_argument('--scans', type=int, default=10_000_000)
    a = ap.parse_args()
    builds = a.builds.split(',')
    msgs = [message_path(m) for m in a.messages.split(',')]
    for b in builds:
        if not os.access(os.path.join(b, 'bench', 'siplb-bench-scan'), os.X_OK):
            sys.exit(f'{b}: no bench/siplb-bench-scan (a meson build directory?)')
    subprocess.run([os.path.join(HERE, 'machine.sh')], check=False)
    res = {(b, m): [] for b in builds for m in msgs}
    for r in range(a.rounds):
        for m in msgs:
            for b in (builds if r % 2 == 0 else builds[::-1]):
                t = time.perf_counter()
                subprocess.run(['taskset', '-c', a.cpu, os.path.join(b, 'bench', 'siplb-bench-scan'),
                                '--one', a.path, str(a.scans), m],
                               check=True, stdout=subprocess.DEVNULL)
                res[(b, m)].append((time.perf_counter() - t) * 1e9 / a.scans)
        print(f'round {r + 1} of {a.rounds} done', file=sys.stderr)
    print(f'{a.path}, ns a scan, median (range) of {a.rounds} rounds; the first build is the baseline')
    for m in msgs:
        base = statistics.median(res[(builds[0], m)])
        cells = []
        for b in builds:
            v = res[(b, m)]
            med = statistics.median(v)
            cells.append(f'{b}: {med:.1f} ({min(v):.1f}-{max(v):.1f}) x{med / base:.3f}')
        print(f'{os.path.basename(m):16s} ' + '   '.join(cells))


if __name__ == '__main__':
    main()
