#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The log (include/siplb/log.h): levels, the stderr line, the journal.

On stderr: "TIMESTAMP LEVEL IDENT: MESSAGE", one line per event, the lines
above --log-level dropped. With JOURNAL_STREAM naming stderr (what systemd
sets for StandardError=journal), the lines go to the journal instead: the
test runs in a mount namespace of its own (unshare -m) with a tmpfs on
/run/systemd/journal and its own datagram socket there, reads what
sd_journal_sendv sent (the native protocol, systemd-journald.service(8))
and checks PRIORITY, SYSLOG_IDENTIFIER, MESSAGE and a field per key=value
word. Without root (no unshare -m) the journal half is skipped, saying so.

usage: test_log.py LOG_LINES
"""
import os
import re
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, exit_status  # noqa: E402

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\w+) log_lines: (.*)$")
JOURNAL = "/run/systemd/journal"


def stderr_lines(prog, level, env=None):
    p = subprocess.run([prog, level], capture_output=True, text=True, env=env, timeout=10)
    return p.returncode, [LINE.match(line) for line in p.stderr.splitlines()], p


def plain(prog):
    rc, lines, p = stderr_lines(prog, "debug")
    check(rc == 0 and all(lines) and [m.group(1) for m in lines] ==
          ["error", "warning", "notice", "info", "debug"],
          f"stderr: one line per event, each with its level: {p.stderr!r}")
    check(lines[1].group(2) == 'backend health up -> down: pool=core backend=192.0.2.10:5060 '
          'id=3 reason="3 timeouts"', f"stderr: the message as written: {lines[1].group(2)!r}")
    rc, lines, p = stderr_lines(prog, "warning")
    check(rc == 0 and [m.group(1) for m in lines if m] == ["error", "warning"] and
          len(lines) == 2, f"--log-level warning: error and warning only: {p.stderr!r}")
    p = subprocess.run([prog, "loud"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 2 and "error, warning, notice, info, debug" in p.stderr,
          f"an unknown level is refused, the levels named: {p.stderr!r}")


def fields(datagram):
    """KEY=value lines of the native protocol (values without newlines)."""
    return dict(line.split("=", 1) for line in datagram.decode().split("\n") if "=" in line)


def journal(prog):
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    os.makedirs(JOURNAL, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", JOURNAL], check=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(JOURNAL + "/socket")
    sock.settimeout(5)
    with tempfile.TemporaryFile() as err:
        st = os.fstat(err.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        rc = subprocess.run([prog, "notice"], stderr=err, env=env, timeout=10).returncode
        err.seek(0)
        text = err.read()
    got = []
    try:
        while len(got) < 4:
            got.append(fields(sock.recv(65536)))
    except socket.timeout:
        pass
    check(rc == 0 and not text, f"journal: nothing on stderr: {text!r}")
    check([g.get("PRIORITY") for g in got] == ["3", "4", "5"],
          f"journal: priorities 3, 4, 5 (error, warning, notice; info dropped): {got}")
    w = got[1] if len(got) > 1 else {}
    check(w.get("SYSLOG_IDENTIFIER") == "log_lines" and
          w.get("MESSAGE", "").startswith("backend health up -> down: pool=core"),
          f"journal: identifier and message: {w}")
    check(w.get("POOL") == "core" and w.get("BACKEND") == "192.0.2.10:5060" and
          w.get("ID") == "3" and w.get("REASON") == "3 timeouts",
          f"journal: a field per key=value word: {w}")
    n = got[2] if len(got) > 2 else {}
    check(n.get("X") == "1" and n.get("A") == "b=" and "C" not in n and "" not in n,
          f"journal: only words that start with a key become fields: {n}")


def main():
    prog = sys.argv[1]
    plain(prog)
    if os.environ.get("SIPLB_LOG_TEST_INNER"):
        journal(prog)
    elif os.geteuid() != 0:
        print("SKIP journal: needs root for a mount namespace (unshare -m)")
    else:
        env = dict(os.environ, SIPLB_LOG_TEST_INNER="1")
        rc = subprocess.run(["unshare", "-m", sys.executable, os.path.abspath(__file__), prog],
                            env=env, timeout=60).returncode
        check(rc == 0, "journal: the run in its own mount namespace")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
