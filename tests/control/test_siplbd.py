#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""siplbd's command line and signals.

  test_siplbd.py check SIPLBD CONFIGS   --check exit codes and messages
  test_siplbd.py daemon SIPLBD CONFIGS  start, SIGHUP (bad, good, refused),
                                        SIGUSR1, --stats-interval, a second
                                        writer, SIGTERM; needs root: it mounts
                                        its own bpffs under /run (exit 77
                                        without root), unmounted at the end.
                                        siplbd runs in a network namespace of
                                        its own (unshare -n): the DSR backends
                                        of good-full.conf have no route there,
                                        so nothing is asked of the network.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import Failure, expect, wait_until  # noqa: E402

SKIP = 77
MAPS = ["block4", "block6", "control", "maglev", "nexthop", "port_mac", "rule_hits", "rule_rate",
        "rule_src", "rule_stats", "rules", "src_rate", "state", "stats", "vip_rate", "xdp_stats"]


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def test_check(siplbd, configs):
    good = sorted(f for f in os.listdir(configs) if f.startswith("good-"))
    bad = sorted(f for f in os.listdir(configs) if f.startswith("bad-"))
    expect(good and bad, "no config files")
    for name in good:
        p = run(siplbd, "--config", os.path.join(configs, name), "--check")
        expect(p.returncode == 0 and ": ok: " in p.stdout, f"{name}: {p.returncode} {p.stderr}")
    for name in bad:
        path = os.path.join(configs, name)
        with open(path) as f:
            line = re.match(r"# expect: (\d+): ", f.readline()).group(1)
        p = run(siplbd, "--config", path, "--check")
        expect(p.returncode == 1 and p.stderr.startswith(f"{path}:{line}: "),
               f"{name}: exit {p.returncode}, stderr {p.stderr!r}")
    p = run(siplbd, "--config", "/nonexistent.conf", "--check")
    expect(p.returncode == 1 and "cannot read" in p.stderr, p.stderr)
    # Start-up reads as config validate does: a FIFO is refused, not waited on.
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        p = run(siplbd, "--config", fifo, "--check")
        expect(p.returncode == 1 and f"{fifo}: a FIFO: a configuration is read only from a "
               "regular file" in p.stderr, p.stderr)
    for args in ([], ["--check"], ["--stats", "--once"], ["--config", "x", "--json"],
                 ["--config", "x", "--stats-interval", "soon"], ["--bogus"],
                 ["--config", "x", "--detach", "--once"]):
        p = run(siplbd, *args)
        expect(p.returncode == 2 and "usage:" in p.stderr, f"{args}: {p.returncode} {p.stderr}")
    print(f"--check: {len(good)} good, {len(bad)} bad files, usage errors: ok")


STATE = json.dumps({"version": 1, "overrides": [
    {"pool": "core", "backend": "192.0.2.21:5060", "change": "set", "weight": 7},
    {"pool": "core", "backend": "192.0.2.30:5070", "change": "added", "weight": 1,
     "priority": 0, "admin": "draining"}]}).encode()

HOSTILE = [b"[" * 100000, b"", b" ", b"[]", b'"x"', b"\xff\xfe", b'{"version": 1}',
           b'{"version": 1, "ovrrides": []}', b'{"version": 1, "overrides": {}}',
           b'{"version": 1, "overrides": [1]}', b'{"version": 1, "overrides": [{"pool": 1}]}',
           b'{"version": 1, "overrides": [{"pool": "core", "backend": 7}]}',
           b'{"version": 1, "overrides": [' +
           b'{"pool": "core", "backend": "192.0.2.21", "admin": "draining"},' * 3000 + b"{}]}",
           b'{"version": 1, "overrides": [{"pool": "' + b"a" * 5000 +
           b'", "backend": "192.0.2.1", "admin": "draining"}]}',
           b'{"version": 1, "overrides": [{"pool": "core", "backend": "[::1]:0", '
           b'"admin": "draining"}]}', STATE + b" x"]


def test_state_file(siplbd, tmp):
    """--check reads the state file as a start does: the good one is taken,
    hostile and mangled ones (a seeded bounded set) are refused with the
    path and a reason, never a crash."""
    conf = os.path.join(tmp, "s.conf")
    state = os.path.join(tmp, "s.state")
    write(conf, 'pools = ( { name = "core"; backends = ( { address = "192.0.2.21"; '
                'port = 5060; weight = 1; } ); } );\n')
    rng = random.Random(13)
    cases = [(STATE, 0)] + [(h, 1) for h in HOSTILE]
    for _ in range(100):
        d = bytearray(STATE)
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(d))
            d[k:k + rng.randint(0, 1)] = rng.choice([b"9999999999", b'"', b"{", b"]", b"null",
                                                     b"-1", b"1e9", b"\x00", b"[]", b"{}",
                                                     bytes([rng.randrange(256)]), b""])
        cases.append((bytes(d), None))
    refused = 0
    for data, want in cases:
        with open(state, "wb") as f:
            f.write(data)
        p = subprocess.run([siplbd, "--config", conf, "--check"], capture_output=True, timeout=30)
        expect(p.returncode in (0, 1) and (want is None or p.returncode == want) and
               (p.returncode == 0 or p.stderr.startswith(f"{state}: ".encode())),
               f"state file {data[:120]!r}: exit {p.returncode}, {p.stderr[:300]!r}")
        refused += p.returncode
    print(f"--check: the state file: good taken, {refused} of {len(cases) - 1} hostile or "
          "mangled refused with the reason, no crash")


class Daemon:
    """A siplbd in the background, its log in a file."""

    def __init__(self, siplbd, conf, bpffs, *extra):
        self.log_path = conf + ".log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["unshare", "-n", siplbd, "--config", conf,
                                      "--bpffs", bpffs, *extra], stderr=self.log)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, pattern, seconds=10):
        def found():
            if re.search(pattern, self.text()):
                return True
            expect(self.proc.poll() is None, f"siplbd exited: {self.text()}")
            return False
        try:
            wait_until(found, seconds, f"/{pattern}/ in the log")
        except Failure as e:
            raise Failure(f"{e}:\n{self.text()}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode


def stats(siplbd, bpffs):
    p = run(siplbd, "--bpffs", bpffs, "--stats", "--json")
    expect(p.returncode == 0, p.stderr)
    return json.loads(p.stdout)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def settled(d, siplbd, bpffs):
    """The generation once core's backends, which have no route here, are
    down ("cannot be probed"): the start's, and one more for them."""
    d.wait_for(r"generation 2 published .*\(backend \d down \(cannot be probed\)")
    g = stats(siplbd, bpffs)["generation"]
    expect(g == 2 and "generation 1 published" in d.text(), d.text())
    return g


def test_reloads(siplbd, full, conf, bpffs):
    d = Daemon(siplbd, conf, bpffs)
    try:
        d.wait_for(r"running \(pid")
        g = settled(d, siplbd, bpffs)
        write(conf, full.replace('weight = 50;', 'weight = "50";'))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(re.escape(conf) + r":\d+: 'pools\[0\]\.backends\[0\]\.weight' must be an "
                   r"integer; generation %d stays" % g)
        write(conf, full.replace('{ address = "192.0.2.22"; port = 5060; weight = 30; '
                                 'priority = 1; },', ''))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(r"generation %d published" % (g + 1))
        s = stats(siplbd, bpffs)
        expect(s["generation"] == g + 1 and [b["id"] for b in s["backends"]] == [0, 2, 3, 4], s)
        expect([b["state"] for b in s["backends"]] == ["down", "down", "up", "draining"], s)
        write(conf, full.replace("capacity = 1000;", "capacity = 2000;"))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(r"maglev.capacity changed, which needs a restart.*generation %d stays" % (g + 1))
        # An empty file: what is missing, not the default socket it implies.
        write(conf, "")
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(re.escape(conf) + r": no vips and no pools: a reload would take away every "
                   r"VIP \(3 running\); an empty or cut-short file\? To stop serving, stop "
                   r"siplbd; generation %d stays" % (g + 1))
        write(conf, re.sub(r"control = \{[^}]*\};", "", full))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(r"control changed, which needs a restart of siplbd \(socket \S+/ctl/siplbd"
                   r"\.sock running, /run/siplb/siplbd\.sock in the file \(the default if not "
                   r"set\)\); generation %d stays" % (g + 1))
        d.proc.send_signal(signal.SIGUSR1)
        d.wait_for(r"siplbd: stats backend 4 198\.51\.100\.11:5060 pool edge draining")
        p = run("unshare", "-n", siplbd, "--config", conf, "--bpffs", bpffs, "--once")
        expect(p.returncode == 1 and "another siplbd publishes there" in p.stderr, p.stderr)
        expect(d.stop() == 0 and "exiting on Terminated" in d.text(), d.text())
    finally:
        d.stop(signal.SIGKILL)
    expect(sorted(os.listdir(bpffs)) == MAPS, f"maps pinned: {sorted(os.listdir(bpffs))}")
    expect(stats(siplbd, bpffs)["generation"] == 3, "the last generation stays")


def test_log_level(siplbd, full, mnt, tmp):
    """log_level in the file sets the level; --log-level wins over it."""
    conf = os.path.join(tmp, "quiet.conf")
    write(conf, 'log_level = "warning";\n' + full)
    bpffs = os.path.join(mnt, "siplb-quiet")
    p = run("unshare", "-n", siplbd, "--config", conf, "--bpffs", bpffs, "--once")
    expect(p.returncode == 0 and "generation 1 published" not in p.stderr and
           not re.search(r" (info|notice|debug) siplbd: ", p.stderr),
           "log_level = warning: no info lines: " + p.stderr)
    p = run("unshare", "-n", siplbd, "--config", conf, "--bpffs", bpffs, "--once",
            "--log-level", "info")
    expect(p.returncode == 0 and "info siplbd: generation 2 published" in p.stderr,
           "--log-level info over the file's warning: " + p.stderr)


def test_daemon(siplbd, configs, mnt, tmp):
    # Our own control socket; no metrics endpoint (no loopback under unshare -n).
    full = open(os.path.join(configs, "good-full.conf")).read().replace(
        'socket = "/run/siplb-test/siplbd.sock";', f'socket = "{tmp}/ctl/siplbd.sock";').replace(
        "port = 9467;", "port = 0;")
    conf = os.path.join(tmp, "siplb.conf")
    bpffs = os.path.join(mnt, "siplb")
    write(conf, "pools = 1;\n")
    p = run("unshare", "-n", siplbd, "--config", conf, "--bpffs", bpffs)
    expect(p.returncode == 1 and f"{conf}:1: 'pools' must be a list" in p.stderr
           and not os.path.exists(bpffs), "a bad config creates nothing: " + p.stderr)
    write(conf, full)
    test_log_level(siplbd, full, mnt, tmp)
    test_reloads(siplbd, full, conf, bpffs)
    write(conf, full)  # test_reloads left a capacity that would replace the maps
    d = Daemon(siplbd, conf, bpffs, "--stats-interval", "1")
    try:
        d.wait_for(r"siplbd: stats generation 5", seconds=5)
        expect(d.stop(signal.SIGINT) == 0 and "exiting on Interrupt" in d.text(), d.text())
    finally:
        d.stop(signal.SIGKILL)
    print("daemon: start, log_level, reloads, SIGUSR1, --stats-interval, one writer, exit: ok")


def main():
    mode, siplbd, configs = sys.argv[1:4]
    if mode == "check":
        test_check(siplbd, configs)
        with tempfile.TemporaryDirectory() as tmp:
            test_state_file(siplbd, tmp)
        return 0
    if os.geteuid() != 0:
        print("SKIP: needs root (mounts a bpffs, creates BPF maps)")
        return SKIP
    # A timeout's SIGTERM still unwinds through the clean-ups below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="siplb-test-siplbd-")
    mnt = tempfile.mkdtemp(prefix="siplb-test-bpffs-", dir="/run")
    try:
        if subprocess.run(["mount", "-t", "bpf", "bpf", mnt]).returncode:
            print(f"SKIP: mount -t bpf {mnt} failed")
            return SKIP
        test_daemon(siplbd, configs, mnt, tmp)
    finally:
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
        os.rmdir(mnt)
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
