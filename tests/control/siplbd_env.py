# SPDX-License-Identifier: BSD-3-Clause
"""A siplbd of our own for the live tests (test_siplbd_live.py): a network
namespace (unshare -n, loopback only, so nothing leaves the host and no
port is anybody else's), a bpffs under /run, and the real peers in that
namespace: SIPp backends, unbound, curl for the metrics. Every process is
started here and killed by its PID at the end, also on failure."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import Failure, expect, wait_until  # noqa: E402,F401 (the tests import them from here)

SKIP = 77


class Env:
    """The namespace, the bpffs, a work directory and every process in them."""

    def __init__(self, tools):
        self.tools = tools  # siplbd, siplbctl, sipp, unbound, scenarios, siplb_dp
        self.work = tempfile.mkdtemp(prefix="siplb-live-")
        self.mnt = tempfile.mkdtemp(prefix="siplb-live-bpffs-", dir="/run")
        self.bpffs = os.path.join(self.mnt, "siplb")
        self.sock = os.path.join(self.work, "ctl", "siplbd.sock")
        self.procs = []
        if subprocess.run(["mount", "-t", "bpf", "bpf", self.mnt]).returncode:
            self.close()
            raise Failure(f"mount -t bpf {self.mnt} failed")
        self.holder = subprocess.Popen(["unshare", "-n", "sleep", "3600"])
        mine = os.readlink("/proc/self/ns/net")
        wait_until(lambda: os.readlink(f"/proc/{self.holder.pid}/ns/net") != mine, 5,
                   "unshare -n")
        self.run("ip", "link", "set", "lo", "up")

    def ns(self, *args):
        return ["nsenter", "-t", str(self.holder.pid), "-n", *args]

    def run(self, *args, timeout=30):
        p = subprocess.run(self.ns(*args), capture_output=True, text=True, timeout=timeout)
        expect(p.returncode == 0, f"{' '.join(args)}: exit {p.returncode}: {p.stderr}")
        return p.stdout

    def spawn(self, name, *args):
        """A process in the namespace, its output in WORK/name.log."""
        log = open(os.path.join(self.work, name + ".log"), "w")
        p = subprocess.Popen(self.ns(*args), stdout=log, stderr=subprocess.STDOUT,
                             cwd=self.work)
        p.log_path = log.name
        self.procs.append(p)
        return p

    def kill(self, p):
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    def close(self):
        for p in getattr(self, "procs", []):
            self.kill(p)
        if getattr(self, "holder", None):
            self.kill(self.holder)
        subprocess.run(["umount", "-l", self.mnt], stderr=subprocess.DEVNULL)
        os.rmdir(self.mnt)

    def keep_or_remove(self, failed):
        if failed:
            print(f"(logs and files kept in {self.work})")
        else:
            shutil.rmtree(self.work)

    # ---- siplbd ----------------------------------------------------------------

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def config(self, body, name="siplb.conf", metrics_port=9466):
        """A configuration: our bpffs, socket and metrics port, then body."""
        return self.write(name, f'bpffs = "{self.bpffs}";\n'
                                f'control = {{ socket = "{self.sock}"; }};\n'
                                f'metrics = {{ address = "127.0.0.1"; port = {metrics_port}; }};\n'
                                + body)

    def start_siplbd(self, conf):
        self.siplbd = self.spawn("siplbd", self.tools["siplbd"], "--config", conf)
        self.wait_log(r"siplbd: running \(pid")
        return self.siplbd

    def stop_siplbd(self):
        """SIGTERM: siplbd must exit 0, saying so (a sanitized build checks
        its memory then)."""
        self.siplbd.terminate()
        rc = self.siplbd.wait(timeout=20)
        expect(rc == 0 and "exiting on Terminated" in self.log(),
               f"siplbd exit {rc}:\n{self.log()[-3000:]}")

    def log(self):
        with open(self.siplbd.log_path) as f:
            return f.read()

    def wait_log(self, pattern, seconds=10, after=0):
        """The first match of pattern in siplbd's log past offset after."""
        def found():
            expect(self.siplbd.poll() is None, f"siplbd exited:\n{self.log()}")
            return re.search(pattern, self.log()[after:])
        return wait_until(found, seconds, f"/{pattern}/ in siplbd's log ({self.siplbd.log_path})")

    def ctl(self, *args):
        """siplbctl ARGS: (exit code, stdout, stderr)."""
        p = subprocess.run([self.tools["siplbctl"], "--socket", self.sock, *args],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def ctl_json(self, *args):
        rc, out, err = self.ctl("--json", *args)
        expect(rc == 0, f"siplbctl {' '.join(args)}: exit {rc}: {err}")
        return json.loads(out)

    def rpc(self, method, params):
        """One JSON-RPC call on the socket, without siplbctl's own checks."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)
            s.connect(self.sock)
            s.sendall(json.dumps({"jsonrpc": "2.0", "method": method, "params": params,
                                  "id": 1}).encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = s.recv(65536)
                expect(chunk, f"{method}: the connection closed without an answer")
                answer += chunk
        return json.loads(answer)

    def backends(self, pool=None):
        """backend list --json, by address:port."""
        got = self.ctl_json("backend", "list", *([pool] if pool else []))["backends"]
        return {b["backend"]: b for b in got}

    def stats(self):
        """siplbd --stats --json: what the maps hold, read without siplbd."""
        p = subprocess.run([self.tools["siplbd"], "--bpffs", self.bpffs, "--stats", "--json"],
                           capture_output=True, text=True, timeout=30)
        expect(p.returncode == 0, f"siplbd --stats: {p.stderr}")
        return json.loads(p.stdout)

    def published(self):
        """(generation, {address:port: published backend}) from the maps."""
        s = self.stats()
        return s["generation"], {f"{b['address']}:{b['port']}": b for b in s["backends"]}

    def metrics(self, port=9466):
        """/metrics as {(name, frozenset of labels): value}."""
        out = self.run("curl", "-sf", f"http://127.0.0.1:{port}/metrics")
        samples = {}
        for line in out.splitlines():
            m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
            if m and not line.startswith("#"):
                labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
                samples[(m.group(1), labels)] = float(m.group(3))
        return samples

    # ---- peers -------------------------------------------------------------------

    def uas(self, address, scenario="options_200.xml", port=5060):
        """A SIPp backend answering OPTIONS, bound to address:port."""
        p = self.spawn(f"sipp-{address}", self.tools["sipp"], "-sf",
                       os.path.join(self.tools["scenarios"], scenario), "-i", address,
                       "-p", str(port), "-bind_local", "-nostdin")
        wait_until(lambda: f"{address}:{port} " in self.run("ss", "-Hlun"), 5,
                   f"SIPp on {address}:{port}")
        return p


def refused(env, args, code, text):
    """A refusal: exit 1, the code's message and text; the generation stays."""
    g0, pub0 = env.published()
    rc, out, err = env.ctl(*args)
    g1, pub1 = env.published()
    expect(rc == 1 and code in err and text in err and not out,
           f"siplbctl {' '.join(args)}: exit {rc}, {err!r}")
    expect(g1 == g0 and pub1 == pub0, f"siplbctl {' '.join(args)} changed generation {g0} -> "
           f"{g1}")
    print(f"ok   {' '.join(args)}: refused ({err.strip()})")


def state_of(samples, pool, backend):
    """The one-hot siplb_backend_state of a backend: its state's name."""
    on = [dict(k[1])["state"] for k, v in samples.items() if k[0] == "siplb_backend_state" and
          dict(k[1]).get("pool") == pool and dict(k[1]).get("backend") == backend and v == 1]
    return on[0] if len(on) == 1 else None


def on_term(*_):
    raise Failure("terminated (meson's timeout?)")


def main(tests, argv):
    """test_siplbd_live.py MODE SIPLBD SIPLBCTL SIPP UNBOUND SCENARIOS SIPLB_DP"""
    mode = argv[1]
    tools = dict(zip(["siplbd", "siplbctl", "sipp", "unbound", "scenarios", "siplb_dp"],
                     (os.path.abspath(a) for a in argv[2:8])))
    if os.geteuid() != 0:
        print("SKIP: needs root (a bpffs, BPF maps, a network namespace)")
        return SKIP
    signal.signal(signal.SIGTERM, on_term)
    env = Env(tools)
    failed = True
    try:
        tests[mode](env)
        env.stop_siplbd()
        failed = False
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"FAIL {mode}: {e}")
    finally:
        env.close()
        env.keep_or_remove(failed)
    return 1 if failed else 0
