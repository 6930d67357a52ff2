#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--version on every program: "NAME VERSION" with meson's project version,
then " (git DESCRIBE)" when built from a git checkout; exit 0, nothing on
stderr.

usage: test_version.py VERSION PROGRAM...
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, exit_status  # noqa: E402


def main():
    version, programs = sys.argv[1], sys.argv[2:]
    for prog in programs:
        name = os.path.basename(prog)
        p = subprocess.run([prog, "--version"], capture_output=True, text=True, timeout=10)
        line = re.escape(name) + " " + re.escape(version) + r"( \(git [\w.-]+\))?\n"
        check(p.returncode == 0 and re.fullmatch(line, p.stdout) and not p.stderr,
              f"{name} --version: exit {p.returncode}, {p.stdout!r} {p.stderr!r}")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
