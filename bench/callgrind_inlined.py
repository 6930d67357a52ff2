#!/usr/bin/env python3
"""Instructions per message by the innermost function they were written in,
inlined or not, from two callgrind runs of one binary over N1 and N2
messages (--dump-instr=yes --compress-pos=no --compress-strings=no).

callgrind_annotate's own split stops at real calls: in siplb-dp everything
that handle() inlines (the rewrite, the checksum's arithmetic, the hashes'
mixing) is one line. Here each instruction's address goes through
addr2line -i, and its count (run 2 minus run 1, over N2 - N1 messages) goes
to the innermost function of its inline chain (bench/inline_frames.py), so a 5-instruction fold
inlined at twelve places shows as one figure. Only what ROOT (a function
callgrind sees, by default slb_proxy_handle_burst) and what it calls ran is
counted: the worker's polls between bursts, more under valgrind than on a
real run, are left out. The binary needs DWARF 4 debug information (what
meson.build asks for): binutils 2.40's addr2line finds no inline frames in
clang 14's DWARF 5.

usage: callgrind_inlined.py BINARY CG1 N1 CG2 N2 [TOP [ROOT]]
"""
import collections
import sys

import inline_frames


def self_costs(path, binary):
    """(instruction address, function) -> self count, for the objects named
    binary; and the call graph, function -> the functions it calls."""
    costs, calls = collections.Counter(), {}
    obj, fn, after_call = '', '', False
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('ob='):
                obj = line[3:].strip()
            elif line.startswith('fn='):
                fn = line[3:].strip()
                calls.setdefault(fn, set())  # every function a key, leaves too
            elif line.startswith('cfn='):
                calls.setdefault(fn, set()).add(line[4:].strip())
            elif line.startswith('calls='):
                after_call = True  # the next cost line is the call's, inclusive
            elif line.startswith('0x'):
                if not after_call and obj.endswith('/' + binary):
                    fields = line.split()
                    if len(fields) >= 3:
                        costs[(int(fields[0], 16), fn)] += int(fields[2])
                after_call = False
    return costs, calls


def reached(calls, root):
    """root (or a clone of it, root.constprop.0) and every function it
    calls, directly or not."""
    seen = set()
    todo = [fn for fn in calls if fn == root or fn.startswith(root + '.')] or [root]
    while todo:
        fn = todo.pop()
        if fn not in seen:
            seen.add(fn)
            todo.extend(calls.get(fn, ()))
    return seen


def address_counts(cg1, cg2, binary, root):
    """Instruction address -> what the second run executed there more than
    the first, for the addresses of binary in root and what it calls (only
    those that ran more)."""
    (a, _), (b, calls) = self_costs(cg1, binary), self_costs(cg2, binary)
    under = reached(calls, root)
    counts = collections.Counter()
    for (addr, fn), c in b.items():
        if fn in under:
            counts[addr] += c - a.get((addr, fn), 0)
    return {addr: c for addr, c in counts.items() if c > 0}


def innermost(binary_path, addrs):
    """Address -> 'function (file)' of the innermost inlined frame."""
    return {a: '%s (%s)' % f[0] for a, f in inline_frames.chains(binary_path, addrs).items() if f}


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    binary_path, cg1, n1, cg2, n2 = sys.argv[1:6]
    top = int(sys.argv[6]) if len(sys.argv) > 6 else 40
    root = sys.argv[7] if len(sys.argv) > 7 else 'slb_proxy_handle_burst'
    binary = binary_path.rsplit('/', 1)[-1]
    span = int(n2) - int(n1)
    per = {addr: c / span for addr, c in address_counts(cg1, cg2, binary, root).items()}
    if not per:
        sys.exit('no instructions of %s under %s in %s: was it run with --dump-instr=yes?'
                 % (binary, root, cg2))
    names = innermost(binary_path, sorted(per))
    by_fn = collections.Counter()
    for addr, c in per.items():
        by_fn[names.get(addr, '?? (?)')] += c
    total = sum(by_fn.values())
    print('%8s  %s' % ('instr', 'innermost function (file), per message'))
    for fn, c in by_fn.most_common(top):
        print('%8.1f  %s' % (c, fn))
    print('%8.1f  in all (%s and what it calls in %s; libc left out)' % (total, root, binary))


if __name__ == '__main__':
    main()
