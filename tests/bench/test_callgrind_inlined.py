#!/usr/bin/env python3
"""bench/callgrind_inlined.py on a program of known shape: a loop in a
noinline root() whose body is an always-inline mix(), run under callgrind
over 1000 and 3000 turns. The split must give mix() its own figure per
turn, count nothing outside root(), and add up to what callgrind counts
for root() inclusive per turn. bench/inline_frames.py's outermost split
(what scan_insns_split.sh prints), given the same per-address counts, must
put mix()'s under "root > mix" at depth 2 and all of them under "root" at
depth 1. Skips (77) without valgrind or a C compiler.

usage: test_callgrind_inlined.py CC
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, '..', '..', 'bench')
TOOL = os.path.join(BENCH, 'callgrind_inlined.py')
FRAMES = os.path.join(BENCH, 'inline_frames.py')
sys.path.insert(0, BENCH)
import callgrind_inlined  # noqa: E402  (bench/ is not a package)
PROGRAM = r'''
#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((always_inline)) unsigned mix(unsigned x)
{
	return (x ^ (x >> 7)) * 2654435761u + 12345u;
}

static __attribute__((noinline)) unsigned root(unsigned n, unsigned x)
{
	for (unsigned i = 0; i < n; i++)
		x = mix(x) ^ i;
	return x;
}

int main(int argc, char **argv)
{
	printf("%u\n", root(argc > 1 ? (unsigned)atoi(argv[1]) : 1, 1));
	return 0;
}
'''


def callgrind(exe, turns, out, flags):
    subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out] + flags +
                   [exe, str(turns)], check=True, capture_output=True)


def inclusive(out, fn):
    text = subprocess.run(['callgrind_annotate', '--inclusive=yes', out], check=True,
                          capture_output=True, text=True).stdout
    for line in text.splitlines():
        if re.search(r':%s(\.\S+)?(\s|$)' % fn, line):  # or its clone
            return int(line.split()[0].replace(',', ''))
    print('FAIL: no %s in callgrind_annotate of %s' % (fn, out))
    sys.exit(1)


def main():
    cc = sys.argv[1] if len(sys.argv) > 1 else 'cc'
    if not shutil.which('valgrind') or not shutil.which(cc):
        print('SKIP: needs valgrind and a C compiler (%s)' % cc)
        return 77
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, 'shape.c'), os.path.join(d, 'shape')
        with open(src, 'w') as f:
            f.write(PROGRAM)
        # DWARF 4, as meson.build asks: binutils 2.40's addr2line finds no
        # inline frames in clang 14's DWARF 5
        subprocess.run([cc, '-O2', '-g', '-gdwarf-4', '-o', exe, src], check=True)
        flags = ['--dump-instr=yes', '--compress-pos=no', '--compress-strings=no']
        outs = [os.path.join(d, 'cg%d.out' % n) for n in (1000, 3000)]
        for n, out in zip((1000, 3000), outs):
            callgrind(exe, n, out, flags)
        split = subprocess.run([sys.executable, TOOL, exe, outs[0], '1000', outs[1], '3000',
                                '20', 'root'], check=True, capture_output=True,
                               text=True).stdout
        print(split)
        rows = {}
        for line in split.splitlines()[1:]:
            m = re.match(r'\s*([\d.]+)\s+(.*)$', line)
            if m:
                rows[m.group(2)] = float(m.group(1))
        per_turn = (inclusive(outs[1], 'root') - inclusive(outs[0], 'root')) / 2000
        total = next(v for k, v in rows.items() if k.startswith('in all'))
        mix = rows.get('mix (shape.c)', 0)
        others = [k for k in rows if not k.startswith(('in all', 'mix ', 'root '))]
        print('callgrind, root() inclusive: %.1f a turn; split: %.1f in all, mix %.1f'
              % (per_turn, total, mix))
        ok = mix >= 3 and abs(total - per_turn) < 0.5 and not others
        print('OK' if ok else 'FAIL: mix() not split out, other functions counted, or the '
              'split does not add up to root()\'s inclusive count')
        return 0 if ok and outermost_ok(exe, outs, mix, per_turn) else 1


def outermost(exe, counts, depth):
    """inline_frames.py's rows for counts (address -> count) at depth."""
    lines = ''.join('%d %x\n' % (n, a) for a, n in counts.items())
    out = subprocess.run([sys.executable, FRAMES, exe, str(depth)], input=lines, check=True,
                         capture_output=True, text=True).stdout
    print(out)
    return {m.group(2): int(m.group(1)) for m in re.finditer(r'^\s*(\d+)  (.*)$', out, re.M)}


def outermost_ok(exe, outs, mix, per_turn):
    """The outermost split of root()'s per-address counts over the 2000
    turns between the runs."""
    counts = callgrind_inlined.address_counts(outs[0], outs[1], 'shape', 'root')
    two, one = outermost(exe, counts, 2), outermost(exe, counts, 1)
    nested = two.get('root > mix', 0) / 2000
    ok = (abs(nested - mix) < 0.5 and abs(one.get('root', 0) / 2000 - per_turn) < 0.5 and
          two.get('(all)') == sum(counts.values()) and
          not [k for k in two if k not in ('root', 'root > mix', '(all)')])
    print('outermost split: root > mix %.1f a turn (innermost split: mix %.1f), root %.1f '
          '(inclusive %.1f)' % (nested, mix, one.get('root', 0) / 2000, per_turn))
    print('OK' if ok else 'FAIL: the outermost split does not nest mix() under root() or does '
          'not add up')
    return ok


if __name__ == '__main__':
    sys.exit(main())
