#!/usr/bin/env python3
"""The shipped configuration works as it is (issue 13): dist/siplb.conf
(/etc/siplb/siplb.conf in the package), dist/default-siplb-dp.in
(/etc/default/siplb-dp) and the two units' ExecStartPre/ExecStart lines,
unchanged but for where the build keeps the programs, run on the host that
file describes: siplb at 192.0.2.1/24 on an interface slb0, the VIP
192.0.2.100:5060, proxies at 192.0.2.21 and .22 (the test topology of
topo.sh, siplb's interface renamed slb0).

siplbd and siplb-dp run in one mount namespace of their own inside siplb's
network namespace, with fresh /run, /var/lib and a bpffs on /sys/fs/bpf, so
the shipped paths (/sys/fs/bpf/siplb, /run/siplb/siplbd.sock,
/var/lib/siplb/siplb.state, 127.0.0.1:9466) are used as they are and touch
nothing of the machine's. Checks: both start; siplbctl on the shipped
socket sees both backends up after their OPTIONS probes; SIPp calls to the
VIP all complete, shared by the two proxies; the metrics endpoint answers
on the shipped address.

usage: test_e2e_shipped.py BUILD_DIR
"""
import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DIST = os.path.join(HERE, "..", "..", "dist")
CALLS = 200
check = E.check


def unit_lines(unit, key):
    """The values of key= in dist/systemd/UNIT.in, in order."""
    with open(os.path.join(DIST, "systemd", unit + ".in")) as f:
        return [l.split("=", 1)[1].strip() for l in f if l.startswith(key + "=")]


class Shipped(E.Env):
    """The topology with siplb's interface named slb0, siplb run from the
    shipped files."""

    def build_topology(self):
        super().build_topology()
        ns = self.ns("lb")
        E.sh("ip -n %s link set lb down && ip -n %s link set lb name slb0 && "
             "ip -n %s link set slb0 up" % (ns, ns, ns))

    def substitute(self, text):
        build = self.build
        return (text.replace("@sbindir@/siplbd", build + "/control/siplbd")
                .replace("@sbindir@/siplb-dp", build + "/dataplane/app/siplb-dp")
                .replace("@sysconfdir@/siplb/siplb.conf", os.path.abspath(DIST + "/siplb.conf"))
                .replace("@sysconfdir@/default/siplb-dp", self.work + "/siplb-dp.default")
                .replace("@pkgdatadir@", build + "/bpf"))

    def script(self):
        """One shell: the private mounts, siplbd's unit, then siplb-dp's."""
        with open(os.path.join(DIST, "default-siplb-dp.in")) as f:
            default = self.substitute(f.read())
        with open(os.path.join(self.work, "siplb-dp.default"), "w") as f:
            f.write(default)
        pre = [self.substitute(l.lstrip("+")) for l in unit_lines("siplbd.service",
                                                                   "ExecStartPre")]
        siplbd = self.substitute(unit_lines("siplbd.service", "ExecStart")[0])
        dp = self.substitute(unit_lines("siplb-dp.service", "ExecStart")[0])
        return "\n".join([
            "set -e",
            "mount --make-rprivate /",
            "mount -t tmpfs tmpfs /run && mkdir -p /run/siplb /run/dpdk",
            "mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/siplb",
            *pre,
            "%s > %s/siplbd.log 2>&1 &" % (siplbd, self.work),
            "echo $! > %s/siplbd.pid" % self.work,
            "for i in $(seq 100); do [ -e /sys/fs/bpf/siplb/control ] && break; sleep 0.1; done",
            ". %s/siplb-dp.default" % self.work,
            "exec %s" % dp,
        ])

    def start_siplb(self):
        self.host = self.spawn("lb", ["sh", "-c", self.script()], "siplb-dp")
        self.wait_for(lambda: "forwarding" in self.log("siplb-dp"), "siplb-dp start", self.host)
        with open(os.path.join(self.work, "siplbd.pid")) as f:
            self.siplbd_pid = int(f.read())

    def inside(self, *argv):
        """argv in siplb's namespaces (network and mount), as the units see them."""
        return subprocess.run(["nsenter", "-t", str(self.siplbd_pid), "-n", "-m", *argv],
                              capture_output=True, text=True, timeout=30)

    def close(self):
        if getattr(self, "siplbd_pid", None):
            subprocess.run(["kill", str(self.siplbd_pid)], check=False)
        super().close()


def backends_up(env):
    r = env.inside(env.tool("control/siplbctl/siplbctl"), "backend", "list")
    return r.returncode == 0 and len(re.findall(r"\bup\b", r.stdout)) >= 2, r.stdout + r.stderr


def main():
    if os.geteuid() != 0:
        print("skip: needs root (namespaces, XDP)")
        return 77
    with Shipped(sys.argv[1], prefix="sh%d" % (os.getpid() % 100000), weights=(50, 50)) as env:
        dirs = env.start_backends("uas.xml", "uas")
        deadline = time.time() + 30
        while not backends_up(env)[0] and time.time() < deadline:
            time.sleep(0.5)
        up, listing = backends_up(env)
        check(up, "siplbctl backend list on /run/siplb/siplbd.sock: both up:\n%s" % listing)
        rc, st = env.run_uac("uac.xml", CALLS, 50, timeout=60)
        check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == CALLS,
              "%d calls through the VIP of the shipped file (SIPp exit %d, %s)" % (
                  CALLS, rc, st.get("SuccessfulCall(C)")))
        got = [len({c for _, t, c, _ in msgs if t == "INVITE"})
               for msgs in E.per_backend(dirs[:2]).values()]
        check(min(got) > CALLS // 4 and sum(got) == CALLS,
              "the two proxies share the calls: %s INVITE Call-IDs" % got)
        m = env.inside("curl", "-sf", "http://127.0.0.1:9466/metrics")
        check(m.returncode == 0 and "siplb_build_info" in m.stdout,
              "metrics on 127.0.0.1:9466 (the shipped address): exit %d" % m.returncode)
        print("shipped files: siplbd and siplb-dp started as the units start them; backends "
              "up: 2; %d calls, per proxy %s" % (CALLS, got), flush=True)
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
