"""The test topology with siplb running in it, for the end-to-end tests and
the demo: namespaces (topo.sh), a bpffs of our own, siplbd, siplb-dp, SIPp
peers. Everything started here is stopped by PID and every namespace deleted
when the environment closes, also on failure.

Proxy mode (driver "af_xdp" or "af_packet"): siplbd publishes, siplb-dp
forwards. DSR (mode "dsr", driver None): siplbd alone, its XDP program on
siplb's interface (xdp.interfaces) encapsulates to the backends, which own
the VIP on lo and decapsulate (set_up_dsr_backends); docs/xdp.md,
"End-to-end tests", says what veth and this kernel require.
"""
import collections
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import FAILURES, check  # noqa: E402,F401 (the tests use E.check, E.FAILURES)

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
CLIENT, SIPLB, VIP = "192.0.2.10", "192.0.2.1", "192.0.2.100"
BACKENDS = ["192.0.2.21", "192.0.2.22", "192.0.2.23"]


def sh(cmd, check=True, **kw):
    return subprocess.run(["sh", "-c", cmd], check=check, text=True,
                          capture_output=True, **kw)


class Env:
    """with Env(build, driver) as env: ..."""

    def __init__(self, build, driver="af_xdp", weights=(50, 30, 20), prefix=None, mode="proxy",
                 encap="ipip", vips=(), flood=None, hosts=None):
        """driver: siplb-dp's port ("af_xdp", "af_packet") or None for no
        siplb-dp (siplbd attaches the XDP program to lb itself). mode: the
        "sip" VIP's. vips: more VIPs on the same address, dicts with name,
        port and optionally mode, rate, burst. flood: dict of the flood group
        (source_rate, source_burst, blocklist). hosts: more hosts on the
        segment, {name: address}."""
        self.build = os.path.abspath(build)
        self.driver = driver
        self.weights = list(weights)
        self.mode, self.encap = mode, encap
        self.vips = [dict(v) for v in vips]
        self.flood = dict(flood or {})
        self.hosts = dict(hosts or {})
        self.p = prefix or "slb%d" % (os.getpid() % 100000)
        self.work = tempfile.mkdtemp(prefix="siplb-%s-" % self.p)
        self.bpffs = "/run/siplb-%s" % self.p
        self.conf = os.path.join(self.work, "siplb.conf")
        self.procs = []

    # -- set-up and tear-down ------------------------------------------------
    def __enter__(self):
        try:
            self._up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _up(self):
        self.build_topology()
        self.start_siplb()

    def build_topology(self):
        sh(". %s/topo.sh; topo_up %s" % (HERE, self.p))
        for name, addr in self.hosts.items():
            sh(". %s/topo.sh; topo_host %s %s %s" % (HERE, self.p, name, addr))
        if self.uses_dsr():
            self.set_up_dsr_backends()

    def start_siplb(self):
        os.makedirs(self.bpffs, exist_ok=True)
        sh("mount -t bpf bpf %s" % self.bpffs)
        self.write_config(self.weights)
        self.siplbd = self.spawn("lb", [self.tool("control/siplbd"), "--config", self.conf,
                                        "--bpffs", self.bpffs], "siplbd")
        self.wait_for(lambda: os.path.exists(os.path.join(self.bpffs, "control")),
                      "siplbd publishing", self.siplbd)
        if self.driver is None:
            self.wait_for(lambda: "xdp: attached" in self.log("siplbd"),
                          "siplbd attaching its XDP program", self.siplbd)
        if self.uses_dsr():
            self.wait_for(lambda: all(re.search(r"nexthop backend \d+ %s: via" % re.escape(a),
                                                self.log("siplbd")) for a in BACKENDS),
                          "DSR next hops", self.siplbd)
        if self.driver is not None:
            self.dp = self.spawn("lb", self.dp_cmd(), "siplb-dp")
            self.wait_for(lambda: "forwarding" in self.log("siplb-dp"), "siplb-dp start",
                          self.dp)

    def uses_dsr(self):
        return self.mode == "dsr" or any(v.get("mode") == "dsr" for v in self.vips)

    def set_up_dsr_backends(self):
        """Each backend owns the VIP on lo without answering ARP for it, and
        decapsulates: with the kernel's tunnel device where it has one (ipip:
        tunl0; gue: fou on dsr.gue_port as well), otherwise with
        dsr_decap.bpf.c in XDP on its interface. siplb's XDP_TX reaches the
        bridge only if siplb's veth peer runs XDP itself (xdp_pass.bpf.c)."""
        self.decap = "xdp"
        for i, _ in enumerate(BACKENDS, 1):
            ns, dev = self.ns("b%d" % i), "b%d" % i
            sh("ip -n %s addr add %s/32 dev lo" % (ns, VIP))
            sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.arp_ignore=1 "
               "net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=0" % ns)
            if self.kernel_decap(ns):
                self.decap = "kernel"
            else:
                sh("ip -n %s link set dev %s xdpdrv obj %s sec xdp"
                   % (ns, dev, self.tool("tests/e2e/dsr_decap.o")))
        sh("ip -n %s link set dev %slb xdpdrv obj %s sec xdp"
           % (self.ns("sw"), self.p, self.tool("tests/e2e/xdp_pass.o")))

    def kernel_decap(self, ns):
        """tunl0 (and fou for GUE) in namespace ns; False when the kernel
        lacks them (CONFIG_NET_IPIP, CONFIG_NET_FOU)."""
        if sh("ip -n %s link show tunl0 || ip -n %s link add tunl0 type ipip" % (ns, ns),
              check=False).returncode:
            return False
        if self.encap == "gue" and sh("ip -n %s fou add port 6080 gue" % ns,
                                      check=False).returncode:
            return False
        sh("ip -n %s link set tunl0 up && ip netns exec %s sysctl -qw "
           "net.ipv4.conf.tunl0.rp_filter=0" % (ns, ns))
        return True

    def close(self):
        for proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 5
        for proc, _ in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        sh(". %s/topo.sh; topo_down %s" % (HERE, self.p), check=False)
        sh("umount %s" % self.bpffs, check=False)
        shutil.rmtree(self.bpffs, ignore_errors=True)
        self.remove_dpdk_runtime()
        if not os.environ.get("SIPLB_KEEP_LOGS"):
            shutil.rmtree(self.work, ignore_errors=True)

    def remove_dpdk_runtime(self):
        """EAL's runtime directories of this test's file prefixes (p, and p
        with letters after it: "x", "tp"): siplb-dp removes its own on a
        clean exit, but not when a test kills it, nor for testpmd; in
        /var/run, a tmpfs, they would pile up run after run."""
        for path in glob.glob("/var/run/dpdk/%s*" % self.p):
            suffix = os.path.basename(path)[len(self.p):]
            if suffix == "" or suffix.isalpha():  # not another test's slb123 + "4"
                shutil.rmtree(path, ignore_errors=True)

    # -- pieces ----------------------------------------------------------------
    def tool(self, rel):
        return os.path.join(self.build, rel)

    def ns(self, host):
        return "%s-%s" % (self.p, host)

    def dp_cmd(self):
        if self.driver == "af_xdp":
            prog = subprocess.run([self.tool("dataplane/app/siplb-dp"), "--print-xdp-prog"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            vdev = "net_af_xdp0,iface=lb,start_queue=0,queue_count=1,force_copy=1,xdp_prog=" + prog
        else:
            vdev = "net_af_packet0,iface=lb,qpairs=1"
        return [self.tool("dataplane/app/siplb-dp"), "--no-huge", "-m", "512", "--no-pci",
                "-l", "1", "--vdev", vdev, "--file-prefix", self.p, "--",
                "--config", self.conf, "--bpffs", self.bpffs]

    def write_config(self, weights=None):
        if weights is not None:
            self.weights = list(weights)
        backends = ",\n".join(
            '      { address = "%s"; port = 5060; weight = %d; }' % (a, w)
            for a, w in zip(BACKENDS, self.weights))
        # The control socket in the work directory: the default under /run is
        # one per host, not per namespace.
        text = ('bpffs = "%s";\nbranch_seed = "0x5eedc0de";\ncontrol = { socket = "%s"; };\n'
                % (self.bpffs, os.path.join(self.work, "siplbd.sock")))
        if self.driver is not None:
            port = "net_af_xdp0" if self.driver == "af_xdp" else "net_af_packet0"
            text += ('dataplane = { ports = ( { name = "%s"; iface = "lb"; address = "%s"; '
                     'prefix = 24; } ); };\n' % (port, SIPLB))
        vips = [dict(name="sip", port=5060, mode=self.mode)] + self.vips
        text += "vips = (\n%s\n);\n" % ",\n".join(
            '  { name = "%s"; address = "%s"; port = %d; mode = "%s"; pool = "core"; '
            'record_route = true; rate = %d; burst = %d; }'
            % (v["name"], VIP, v["port"], v.get("mode", "proxy"), v.get("rate", 0),
               v.get("burst", 0)) for v in vips)
        text += 'pools = ( { name = "core"; backends = (\n%s\n    ); } );\n' % backends
        if self.uses_dsr():
            text += 'dsr = { source = "%s"; encap = "%s"; };\n' % (SIPLB, self.encap)
        if self.driver is None:
            text += 'xdp = { interfaces = ( "lb" ); };\n'
        if self.flood:
            text += "flood = { source_rate = %d; source_burst = %d; blocklist = ( %s ); };\n" % (
                self.flood.get("source_rate", 0), self.flood.get("source_burst", 0),
                ", ".join('"%s"' % b for b in self.flood.get("blocklist", ())))
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.replace(self.conf + ".new", self.conf)

    def reconfigure(self, weights=None, vips=None, flood=None):
        """New weights, VIPs or flood settings, published by siplbd on SIGHUP;
        waits for the new generation."""
        before = self.generation()
        if vips is not None:
            self.vips = [dict(v) for v in vips]
        if flood is not None:
            self.flood = dict(flood)
        self.write_config(weights)
        self.siplbd.send_signal(signal.SIGHUP)
        self.wait_for(lambda: self.generation() > before, "a new generation", self.siplbd)

    def stats(self):
        r = subprocess.run([self.tool("control/siplbd"), "--stats", "--json",
                            "--bpffs", self.bpffs], capture_output=True, text=True, check=True)
        return json.loads(r.stdout)

    def generation(self):
        return self.stats().get("generation", 0)

    def ctl(self, *args):
        """siplbctl on siplbd's control socket, echoed; its exit code."""
        r = subprocess.run([self.tool("control/siplbctl/siplbctl"), "--socket",
                            os.path.join(self.work, "siplbd.sock")] + list(args),
                           capture_output=True, text=True, timeout=30)
        print("     siplbctl %s -> %s%s" % (" ".join(args), r.stdout.strip(),
                                            r.stderr.strip()), flush=True)
        return r.returncode

    def link_stats(self, host, dev):
        """The kernel's counters of interface dev in host's namespace
        (ip -s: rx/tx packets, bytes, dropped...)."""
        out = sh("ip -n %s -s -j link show %s" % (self.ns(host), dev)).stdout
        return json.loads(out)[0]["stats64"]

    def spawn(self, host, argv, name, cwd=None):
        log = open(os.path.join(self.work, name + ".log"), "w")
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + argv, stdout=log,
                                stderr=subprocess.STDOUT, cwd=cwd or self.work,
                                stdin=subprocess.DEVNULL)
        self.procs.append((proc, name))
        return proc

    def log(self, name):
        try:
            with open(os.path.join(self.work, name + ".log")) as f:
                return f.read()
        except OSError:
            return ""

    def wait_for(self, cond, what, proc=None, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.1)
        names = [n for p, n in self.procs]
        tails = "\n".join("--- %s\n%s" % (n, self.log(n)[-2000:]) for n in names)
        raise RuntimeError("timed out waiting for %s\n%s" % (what, tails))

    def calls_without_siplbd(self, bind=None, calls=100):
        """Stops siplbd (SIGTERM), runs `calls` SIPp calls without it and
        checks they all complete; returns the generation it had published."""
        gen = self.generation()
        self.siplbd.send_signal(signal.SIGTERM)
        self.siplbd.wait(10)
        self.start_backends("uas.xml", "nod", bind=bind)
        rc, st = self.run_uac("uac.xml", calls, 50, ["-d", "100"], tag="uac-nod", timeout=60)
        self.stop("nod")
        check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == calls,
              "%d calls while siplbd is down (SIPp exit %d)" % (calls, rc))
        return gen

    def restart_siplbd(self, ready):
        """Starts siplbd again (log siplbd-2) and waits until ready() holds."""
        self.siplbd = self.spawn("lb", [self.tool("control/siplbd"), "--config", self.conf,
                                        "--bpffs", self.bpffs], "siplbd-2")
        self.wait_for(ready, "the restarted siplbd", self.siplbd)

    # -- SIPp ------------------------------------------------------------------
    def start_backends(self, scenario, tag, bind=None, hosts=None, port=5060):
        """One SIPp UAS per backend, on its own address or on bind (DSR: the
        VIP), or one per host of hosts ({name: address}: the UAS behind
        proxies that are the backends), on port; returns their work dirs
        (message traces)."""
        dirs = []
        hosts = hosts or {"b%d" % i: a for i, a in enumerate(BACKENDS, 1)}
        for host, addr in hosts.items():
            d = os.path.join(self.work, "%s-%s" % (tag, host))
            os.makedirs(d, exist_ok=True)
            self.spawn(host, ["sipp", "-sf", os.path.join(SCENARIOS, scenario),
                              "-i", bind or addr, "-p", str(port), "-nostdin", "-trace_msg",
                              "-message_file", os.path.join(d, "msg.log"),
                              "-timeout", "300s"], "%s-%s" % (tag, host), cwd=d)
            dirs.append(d)
        time.sleep(0.5)
        return dirs

    def stop(self, tag):
        for proc, name in self.procs:
            if name.startswith(tag) and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def run_uac(self, scenario, calls, rate, extra=(), timeout=240, tag="uac", host="cl",
                addr=CLIENT, wait=True):
        """Runs a SIPp UAC on host (address addr) to the VIP until done;
        returns (rc, stats dict). wait=False: returns the process at once
        (uac_result gives the same pair later)."""
        d = os.path.join(self.work, tag)
        os.makedirs(d, exist_ok=True)
        argv = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "%s:5060" % VIP,
                "-i", addr, "-p", "5062", "-m", str(calls), "-r", str(rate),
                "-nostdin", "-trace_stat", "-stf", os.path.join(d, "stat.csv"),
                "-trace_msg", "-message_file", os.path.join(d, "msg.log"),
                "-timeout", "%ds" % timeout] + list(extra)
        proc = self.spawn(host, argv, tag, cwd=d)
        if not wait:
            return proc
        return self.uac_result(proc, tag, timeout + 30)

    def uac_result(self, proc, tag, timeout=270):
        proc.wait(timeout)
        return proc.returncode, sipp_counts(os.path.join(self.work, tag, "stat.csv"))

    # -- raw load (bench/sip-flood, siplb-bench sink) ---------------------------
    def sip_flood(self, host, port, count, secs, rate=0, sport=5090):
        """bench/sip-flood from host to VIP:port, bounded by count and secs;
        returns (messages sent, seconds)."""
        r = subprocess.run(["ip", "netns", "exec", self.ns(host),
                            self.tool("bench/sip-flood"), VIP, str(port), str(sport),
                            str(count), str(secs), str(rate)],
                           capture_output=True, text=True, timeout=secs + 30)
        m = re.search(r"sent (\d+) messages in ([\d.]+) s", r.stdout)
        if not m:
            raise RuntimeError("sip-flood: %s%s" % (r.stdout, r.stderr))
        return int(m.group(1)), float(m.group(2))

    def start_sinks(self, addr, port, tag, secs=60, idle_ms=3000):
        """siplb-bench sink on every backend, bound to addr:port, for secs at
        most, until idle for idle_ms after the first datagram."""
        procs = [self.spawn("b%d" % i, sink_cmd(self.tool, addr, port, secs, idle_ms),
                            "%s-sink%d" % (tag, i))
                 for i in range(1, len(BACKENDS) + 1)]
        self.wait_for(lambda: all("ready" in self.log("%s-sink%d" % (tag, i))
                                  for i in range(1, len(BACKENDS) + 1)), "sinks ready")
        return procs

    def sink_counts(self, procs, tag):
        """What each sink received, once they have stopped (idle or time)."""
        out = []
        for i, p in enumerate(procs, 1):
            p.wait(120)
            m = re.search(r"received (\d+)", self.log("%s-sink%d" % (tag, i)))
            out.append(int(m.group(1)) if m else -1)
        return out


def sink_cmd(tool, addr, port, secs, idle_ms):
    """siplb-bench sink's command: it prints "ready", and "received N" (the
    datagrams) when it stops."""
    return [tool("bench/siplb_bench/siplb-bench"), "sink", "--local",
            ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port), "--sockets", "1",
            "--max-time", str(secs), "--idle-exit", str(idle_ms / 1000)]


def sipp_counts(stat_csv):
    """Cumulative counters of SIPp's last -trace_stat line."""
    try:
        with open(stat_csv) as f:
            rows = [l.rstrip("\n").split(";") for l in f if l.strip()]
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    head, last = rows[0], rows[-1]
    return {k: last[i] for i, k in enumerate(head) if i < len(last)}


CALL_ID = re.compile(r"^(?:Call-ID|i)\s*:\s*(\S+)", re.I | re.M)
START = re.compile(r"^(?:([A-Z]+) \S+ SIP/2\.0|SIP/2\.0 (\d+))", re.M)
BLOCK = re.compile(r"^-{20,} (\S+ \S+)\n\S+ message (received|sent)[^\n]*\n\n", re.M)


def traced_messages(msg_log, direction="received"):
    """[(time, first-line token, Call-ID, text)] of a SIPp -trace_msg file:
    the method or status code of each message received (or sent)."""
    try:
        with open(msg_log, errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    out, marks = [], list(BLOCK.finditer(text))
    for i, m in enumerate(marks):
        body = text[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        start, cid = START.search(body), CALL_ID.search(body)
        if m.group(2) == direction and start and cid:
            out.append((m.group(1), start.group(1) or start.group(2), cid.group(1), body))
    return out


def per_backend(dirs):
    """backend index -> [(time, token, call_id, text)] received."""
    return {i: traced_messages(os.path.join(d, "msg.log")) for i, d in enumerate(dirs)}


def check_calls(dirs, weights):
    """The backends' traces of a uac.xml/uas.xml run: every message of a call
    at one backend, INVITE/ACK/BYE in step, calls shared as the weights say
    (within 5 points). Returns per_backend(dirs)."""
    seen = per_backend(dirs)
    where = collections.defaultdict(set)
    for i, msgs in seen.items():
        for _, tok, cid, _ in msgs:
            where[cid].add(i)
    split = [c for c, b in where.items() if len(b) > 1]
    check(not split, "every message of a call reached one backend (%d calls split)" % len(split))
    for i, msgs in seen.items():
        toks = collections.Counter(t for _, t, _, _ in msgs)
        check(toks["INVITE"] == toks["ACK"] == toks["BYE"],
              "backend %d got INVITE/ACK/BYE %d/%d/%d" % (i + 1, toks["INVITE"], toks["ACK"],
                                                         toks["BYE"]))
    invites = [len({c for _, t, c, _ in seen[i] if t == "INVITE"}) for i in range(len(dirs))]
    total = sum(invites) or 1
    for i, n in enumerate(invites):
        share, want = 100.0 * n / total, 100.0 * weights[i] / sum(weights)
        check(abs(share - want) <= 5, "backend %d: %.1f%% of calls, weight share %.1f%%"
              % (i + 1, share, want))
    return seen


def xdp_delta(before, after):
    """What the XDP program counted between two env.stats(): {"verdicts",
    "pass", "drop": {name: n}, "vips": {name: pkts}, "backends": {address:
    pkts}}."""
    a, b = before.get("xdp", {}), after.get("xdp", {})
    out = {k: {n: v - a.get(k, {}).get(n, 0) for n, v in b.get(k, {}).items()}
           for k in ("verdicts", "pass", "drop")}
    for k, key in (("vips", "name"), ("backends", "address")):
        old = {x[key]: x["pkts"] for x in a.get(k, [])}
        out[k] = {x[key]: x["pkts"] - old.get(x[key], 0) for x in b.get(k, [])}
    return out
