#!/usr/bin/env python3
"""The tree's dependencies point one way, and no two source files call each other.

usage: test_deps.py BUILD_DIR

Reads the object files meson built for the programs and their libraries
(not the tests', not bench's, not the sanitized, fuzzing or profiling copies) with
`nm`: file A depends on file B when A uses a symbol B defines. Checks:

1. Folders depend only downwards (docs/architecture.md):
   control/ -> bpf/, dataplane/lib/;  dataplane/ -> bpf/, dataplane/lib/;
   bpf/ -> dataplane/lib/;  dataplane/lib/ -> nothing of ours.
2. No circle between files: a module calls down and hands results up by
   return value or callback, never by calling its caller.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, exit_status  # noqa: E402

# The layers, lowest first; a file may use files of its own layer or lower.
LAYERS = ["dataplane/lib/", "bpf/", "dataplane/", "control/"]
# Beside the order: these never use each other.
APART = [("dataplane/", "control/"), ("control/", "dataplane/app/")]


def layer(src):
    return next(i for i, prefix in enumerate(LAYERS) if src.startswith(prefix))


def objects(build):
    """{source path: object path} for the products' objects, one per source."""
    found = {}
    for top, dirs, files in os.walk(build):
        rel = os.path.relpath(top, build)
        if not rel.endswith(".p") or rel.split(os.sep)[0] in ("tests", "bench"):
            continue
        if re.search(r"_(san|fuzz|pgogen)\.a\.p$", rel):
            continue
        folder = os.path.dirname(rel)
        for f in files:
            if f.endswith(".c.o") and not f.startswith(".."):
                found.setdefault(os.path.join(folder, f[:-2]), os.path.join(top, f))
    return found


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "U":
            used.add(f[1])
        elif len(f) == 3 and f[1] in "TDBRVW" and f[1].isupper():
            defined.add(f[2])
    return defined, used


def edges(objs):
    table = {src: symbols(o) for src, o in objs.items()}
    owner = {}
    for src, (defined, _) in table.items():
        for name in defined:
            owner.setdefault(name, src)
    graph = {src: set() for src in table}
    for src, (_, used) in table.items():
        graph[src] |= {owner[n] for n in used if n in owner and owner[n] != src}
    return graph


def cycles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    objs = objects(sys.argv[1])
    check(any(s.startswith("control/") for s in objs) and
          any(s.startswith("dataplane/lib/") for s in objs),
          "found the products' objects (%d files)" % len(objs))
    graph = edges(objs)
    upward = sorted("%s -> %s" % (a, b) for a in graph for b in graph[a]
                    if layer(b) > layer(a) or
                    any(a.startswith(x) and b.startswith(y) for x, y in APART))
    check(not upward, "every dependency points down the layers" +
          "".join("\n       " + u for u in upward))
    circles = cycles(graph)
    check(not circles, "no circle between files" +
          "".join("\n       " + " <-> ".join(c) for c in circles))
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
