"""The test topology with siplb running in it, for the end-to-end tests and
the demo: namespaces (topo.sh), a bpffs of our own, siplbd, siplb-dp, SIPp
peers. Everything started here is stopped by PID and every namespace deleted
when the environment closes, also on failure.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
CLIENT, SIPLB, VIP = "192.0.2.10", "192.0.2.1", "192.0.2.100"
BACKENDS = ["192.0.2.21", "192.0.2.22", "192.0.2.23"]


def sh(cmd, check=True, **kw):
    return subprocess.run(["sh", "-c", cmd], check=check, text=True,
                          capture_output=True, **kw)


class Env:
    """with Env(build, driver) as env: ..."""

    def __init__(self, build, driver="af_xdp", weights=(50, 30, 20), prefix=None):
        self.build = os.path.abspath(build)
        self.driver = driver
        self.weights = list(weights)
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
        sh(". %s/topo.sh; topo_up %s" % (HERE, self.p))
        os.makedirs(self.bpffs, exist_ok=True)
        sh("mount -t bpf bpf %s" % self.bpffs)
        self.write_config(self.weights)
        self.siplbd = self.spawn("lb", [self.tool("control/siplbd"), "--config", self.conf,
                                        "--bpffs", self.bpffs], "siplbd")
        self.wait_for(lambda: os.path.exists(os.path.join(self.bpffs, "control")),
                      "siplbd publishing", self.siplbd)
        self.dp = self.spawn("lb", self.dp_cmd(), "siplb-dp")
        self.wait_for(lambda: "forwarding" in self.log("siplb-dp"), "siplb-dp start", self.dp)

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
        if not os.environ.get("SIPLB_KEEP_LOGS"):
            shutil.rmtree(self.work, ignore_errors=True)

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

    def write_config(self, weights):
        port = "net_af_xdp0" if self.driver == "af_xdp" else "net_af_packet0"
        backends = ",\n".join(
            '      { address = "%s"; port = 5060; weight = %d; }' % (a, w)
            for a, w in zip(BACKENDS, weights))
        with open(self.conf + ".new", "w") as f:
            f.write("""bpffs = "%s";
branch_seed = "0x5eedc0de";
dataplane = { ports = ( { name = "%s"; iface = "lb"; address = "%s"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "%s"; port = 5060; mode = "proxy"; pool = "core";
           record_route = true; } );
pools = ( { name = "core"; backends = (
%s
    ); } );
""" % (self.bpffs, port, SIPLB, VIP, backends))
        os.replace(self.conf + ".new", self.conf)

    def reconfigure(self, weights):
        """New weights, published by siplbd on SIGHUP; waits for the new generation."""
        before = self.generation()
        self.write_config(weights)
        self.siplbd.send_signal(signal.SIGHUP)
        self.wait_for(lambda: self.generation() > before, "a new generation", self.siplbd)

    def stats(self):
        r = subprocess.run([self.tool("control/siplbd"), "--stats", "--json",
                            "--bpffs", self.bpffs], capture_output=True, text=True, check=True)
        return json.loads(r.stdout)

    def generation(self):
        return self.stats().get("generation", 0)

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

    # -- SIPp ------------------------------------------------------------------
    def start_backends(self, scenario, tag):
        """One SIPp UAS per backend; returns their work dirs (message traces)."""
        dirs = []
        for i, addr in enumerate(BACKENDS, 1):
            d = os.path.join(self.work, "%s-b%d" % (tag, i))
            os.makedirs(d, exist_ok=True)
            self.spawn("b%d" % i, ["sipp", "-sf", os.path.join(SCENARIOS, scenario),
                                   "-i", addr, "-p", "5060", "-nostdin", "-trace_msg",
                                   "-message_file", os.path.join(d, "msg.log"),
                                   "-timeout", "300s"], "%s-b%d" % (tag, i), cwd=d)
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

    def run_uac(self, scenario, calls, rate, extra=(), timeout=240, tag="uac"):
        """Runs a SIPp UAC to the VIP until done; returns (rc, stats dict)."""
        d = os.path.join(self.work, tag)
        os.makedirs(d, exist_ok=True)
        argv = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "%s:5060" % VIP,
                "-i", CLIENT, "-p", "5062", "-m", str(calls), "-r", str(rate),
                "-nostdin", "-trace_stat", "-stf", os.path.join(d, "stat.csv"),
                "-trace_msg", "-message_file", os.path.join(d, "msg.log"),
                "-timeout", "%ds" % timeout] + list(extra)
        proc = self.spawn("cl", argv, tag, cwd=d)
        proc.wait(timeout + 30)
        return proc.returncode, sipp_counts(os.path.join(d, "stat.csv"))


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
