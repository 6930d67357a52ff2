#!/usr/bin/env python3
"""siplb-dp against dpdk-testpmd on the same af_xdp port over veth, same run,
in the test topology's namespaces (tests/e2e/topo.sh).

A sendmmsg generator (sip-flood) in the client namespace sends INVITEs to the
VIP; siplb-dp forwards them to the backends, where siplb-bench sink counts what
arrives. Then testpmd forwards the same stream on the same port, vdev
arguments and XDP steering program (mac forwarding to backend 1, which holds
the VIP on its loopback so that its kernel receives what siplb-dp's backends
receive). For each forwarder a rate search finds the highest offered rate
lost at under 0.1%; a trial counts only where the generator sent what was
asked of it, so the generator is not the limit. The bridge has static FDB
entries for every host, so nothing floods.

Placement: the forwarder polls CPU 1 (siplb-dp -l 1; testpmd's forwarding
lcore 1); the generator and the sinks are pinned to CPU 0. On veth the
forwarder's transmit (copy-mode AF_XDP, veth, the bridge, the backends'
IP/UDP receive up to the socket) runs in its own sendto() on CPU 1, and its
receive (the veth's XDP program, the copy into the UMEM) on the generator's
CPU 0.

With --cpu-share F (0 < F < 1), each forwarder's process is held to F of
one CPU by a CFS bandwidth limit (a cgroup's cpu quota: F x 2.5 ms of every
2.5 ms, or a longer period where F x 2.5 ms is under the kernel's least
quota, 1 ms), the same limit for both. On two vCPUs the generator and the
sinks, sharing CPU 0, cannot outrun a forwarder that has all of CPU 1;
held to a share of it, the forwarders become the limit, and the rate
search measures what each forwards per share of a CPU (its own code and
the kernel transmit path its sendto() runs) with the generator shown to
offer more. Flat out, where the generator offers more than either can
forward, what each forwards and its CPU time a forwarded message (the
threads' schedstat) are its capacity on that share. The lossless rate is
lower than that: a throttled forwarder's RX ring has to hold what arrives
while it waits (1.5 ms at 40%). --saturate K skips the search and takes K
flat-out trials of each, the median CPU time a message of each.

With --perf, both forwarders are then profiled (perf record -g on their PID)
at the same offered rate, below both their limits: the share of their time
spent in sendto() (the kernel's transmit path), recvfrom() (busy polling an
empty ring) and in user space, in ns per message.

With --rounds R (and --cpu-share), no search: R rounds, each starting
every forwarder afresh for one flat-out trial, in an order that turns by
one each round, and each round's ratio of CPU time a message against
testpmd's in that round; the median and range of those. --also BUILD_B
puts another build's siplb-dp in each round (an A/B of two builds in the
same minutes), --csum-floor testpmd's csum engine (it recomputes the IP
and UDP checksums in software, so reads each datagram once: the least a
forwarder that looks past the headers pays for the frames' bytes),
--pad-floor N the csum engine again on INVITEs made N bytes longer by an
X-Pad line (sip-flood's PAD): with N what siplb-dp adds to each message
(its Via, the client Via's received and rport, its Record-Route; each
trial prints the mean size of the frames its backends received), frames
of siplb-dp's output size read once and sent, and nothing else done. With
--perf each round's trials are profiled and their time outside sendto()
and recvfrom() (their own code, the PMD, libc) given a message: the
forwarder's own part, without the kernel's transmit path, which is where
the machine's drift shows most.

usage: dp_veth_bench.py BUILD_DIR [TRIAL_SECONDS] [--one-backend] [--perf]
                        [--cpu-share F [--saturate K | --rounds R [--also BUILD_B]
                        [--csum-floor] [--pad-floor N]]] [--hugepages]   (root)
"""
import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import siplb_env as E  # noqa: E402

LOSS_MAX = 0.001     # a rate holds when less than this fraction is lost
SATURATED = 0.01     # flat out, a forwarder that lost this share could not keep up
KEPT_UP = 0.98       # the generator sent at least this share of the asked rate
SEARCH_STEPS = 6
GEN_CPU, FWD_CPU = 0, 1
PAD_MIN, PAD_MAX = 10, 1024  # sip-flood's PAD: an X-Pad line's bytes
HOSTS = ["cl", "lb", "b1", "b2", "b3"]


NICE = -15           # ahead of the machine's other work (builds), for the short runs


def pinned(argv, cpu=GEN_CPU):
    return ["nice", "-n", str(NICE), "taskset", "-c", str(cpu)] + argv


def boost(pid):
    """The forwarder's threads at NICE: its lcores are pinned by EAL."""
    E.sh("renice -n %d -p %s" % (NICE, " ".join(os.listdir("/proc/%d/task" % pid))))


def quiet_bridge(env):
    """Every host's MAC static on its bridge port: no flooding, no ageing
    (the backends never send, so a learned entry would age out). No
    iptables on bridged frames (br_netfilter): a host firewall's cost, the
    same for both forwarders, not theirs. The client's neighbour entry for
    the VIP fixed to lb's MAC, and backend 1, which holds the VIP on its
    loopback while testpmd runs, answering no ARP for it: otherwise, when
    the client asked while testpmd ran (its first ask, or a stale entry's),
    backend 1 answered, and the stream went to it past the forwarder
    (testpmd then seemed to lose nothing, and the siplb-dp after it got
    nothing)."""
    lb = json.loads(E.sh("ip -n %s -j link show lb" % env.ns("lb")).stdout)[0]["address"]
    E.sh("ip -n %s neigh replace %s lladdr %s dev cl nud permanent" % (env.ns("cl"), E.VIP, lb))
    E.sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.arp_ignore=1 "
         "net.ipv4.conf.all.arp_announce=2" % env.ns("b1"))
    E.sh("ip netns exec %s sysctl -qw net.bridge.bridge-nf-call-iptables=0 "
         "net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0"
         % env.ns("sw"), check=False)
    for h in HOSTS:
        mac = json.loads(E.sh("ip -n %s -j link show %s" % (env.ns(h), h)).stdout)[0]["address"]
        E.sh("bridge -n %s fdb replace %s dev %s%s master static" % (env.ns("sw"), mac, env.p, h))


def flood(env, build, count, secs, rate=0, pad=0):
    r = subprocess.run(["ip", "netns", "exec", env.ns("cl")] +
                       pinned([os.path.join(build, "bench/sip-flood"), E.VIP, "5060", "5090",
                               str(count), str(secs), str(rate), str(pad)]),
                       capture_output=True, text=True, timeout=secs + 30)
    m = re.search(r"sent (\d+) messages in ([\d.]+) s", r.stdout)
    return int(m.group(1)), float(m.group(2))


def rcvbuf_errors(env, hosts):
    """UDP datagrams the backends' kernels dropped for a full socket buffer:
    loss at the receiving end, not in the forwarder."""
    total = 0
    for h in hosts:
        lines = [l.split() for l in E.sh("ip netns exec %s cat /proc/net/snmp" % env.ns(h))
                 .stdout.splitlines() if l.startswith("Udp:")]
        total += int(dict(zip(lines[0], lines[1]))["RcvbufErrors"])
    return total


def rx_counts(env, hosts):
    """(frames, bytes) the backends' interfaces received so far."""
    frames = octets = 0
    for h in hosts:
        rx = json.loads(E.sh("ip -n %s -s -j link show %s" % (env.ns(h), h)).stdout)[0]
        frames += rx["stats64"]["rx"]["packets"]
        octets += rx["stats64"]["rx"]["bytes"]
    return frames, octets


def cpu_ns(pid):
    """CPU time the process had so far, all its threads (schedstat), ns."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            total += int(f.read().split()[0])
    return total


class Trial:
    """One offered rate for a few seconds: what was sent, what the sinks
    (host, address) received."""

    def __init__(self, env, build, sinks, tag, pid, pad=0):
        self.env, self.build, self.sinks, self.tag, self.n = env, build, sinks, tag, 0
        self.pid, self.pad = pid, pad

    def __call__(self, rate, secs, during=None):
        """during: called once the sinks are ready, right before the stream
        starts (the profiler)."""
        self.n += 1
        names = ["%s-%d-sink-%s" % (self.tag, self.n, h) for h, _ in self.sinks]
        procs = [self.env.spawn(h, pinned(E.sink_cmd(self.env.tool, a, 5060, int(secs) + 30,
                                                     500)), name)
                 for (h, a), name in zip(self.sinks, names)]
        self.env.wait_for(lambda: all("ready" in self.env.log(n) for n in names), "sinks")
        hosts = [h for h, _ in self.sinks]
        dropped = rcvbuf_errors(self.env, hosts)
        rx = rx_counts(self.env, hosts)
        count = int(rate * secs) if rate else 10**9
        if during:
            during()
        cpu = cpu_ns(self.pid)
        sent, took = flood(self.env, self.build, count, secs, rate, self.pad)
        cpu = cpu_ns(self.pid) - cpu
        got = 0
        for p, name in zip(procs, names):
            p.wait(secs + 60)
            m = re.search(r"received (\d+)", self.env.log(name))
            got += int(m.group(1)) if m else 0
        dropped = rcvbuf_errors(self.env, hosts) - dropped
        frames, octets = (b - a for a, b in zip(rx, rx_counts(self.env, hosts)))
        return dict(rate=rate, sent=sent, took=took, got=got, sink_drops=dropped,
                    frame_bytes=octets / max(frames, 1),
                    loss=(sent - got) / max(sent, 1), kept_up=sent / took,
                    cpu_share=cpu / 1e9 / took, cpu_per_msg=cpu / max(got, 1))


def search(trial, secs, log):
    """Flat out first (the generator's own limit), then a bisection between a
    lossless and a lossy rate. Returns the flat-out trial and the best
    lossless one (None if even the lowest failed)."""
    flat = trial(0, secs)
    log("  flat out: %s" % fmt(flat))
    if flat["loss"] < LOSS_MAX:
        return flat, flat           # generator-bound: no lossy rate to bisect to
    lo, hi, best = 0.0, flat["kept_up"], None
    for _ in range(SEARCH_STEPS):
        rate = (lo + hi) / 2 if best or lo else hi * 0.6
        t = trial(int(rate), secs)
        log("  %7d/s: %s" % (rate, fmt(t)))
        if t["kept_up"] < KEPT_UP * rate:
            hi = rate               # the generator could not send it: no verdict above
        elif t["loss"] < LOSS_MAX:
            lo, best = rate, t
        else:
            hi = rate
    return flat, best


def saturate(trial, secs, rounds, log):
    """rounds flat-out trials: what the forwarder forwards, and its CPU
    time a forwarded message, when the generator offers more than it can
    take. Returns the trial of median CPU time a message."""
    runs = []
    for _ in range(rounds):
        runs.append(trial(0, secs))
        log("  flat out: %s" % fmt(runs[-1]))
    return sorted(runs, key=lambda t: t["cpu_per_msg"])[len(runs) // 2]


def fmt(t):
    return ("sent %d in %.2f s (%.0f/s), received %d, lost %d (%.3f%%; %d at the sinks' "
            "socket buffers; %.0f-byte frames at the backends); the forwarder had %.0f%% of a "
            "CPU, %.0f ns a message"
            % (t["sent"], t["took"], t["kept_up"], t["got"], t["sent"] - t["got"],
               100 * t["loss"], t["sink_drops"], t["frame_bytes"], 100 * t["cpu_share"],
               t["cpu_per_msg"]))


def profile(env, pid, trial, rate, secs, out):
    """perf record -g on the forwarder's PID for one trial at rate (0: flat
    out); ns per forwarded message in sendto (the kernel's transmit path, run in the forwarder's
    syscall; of it the backends' UDP receive and their sinks' wakeups),
    recvfrom (busy polling), and the rest (its own code, idle polling)."""
    data, perf = out + ".data", []
    cmd = "sleep 0.5; exec perf record -q -g -o %s -p %d -- sleep %s" % (data, pid, secs)
    res = trial(rate, secs + 2, lambda: perf.append(subprocess.Popen(
        ["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    perf[0].wait(30)
    rep = subprocess.run(["perf", "report", "-i", data, "--children", "--stdio", "-g", "none",
                          "--percent-limit", "0.5", "--sort", "sym"],
                         capture_output=True, text=True).stdout
    with open(out + ".txt", "w") as f:
        f.write(rep)
    share = {}
    for key, pat in (("sendto", r"\[\.\] (?:__send|__libc_sendto)"),
                     ("recvfrom", r"\[\.\] __libc_recvfrom"),
                     ("udp", r"\[k\] udp_queue_rcv_one_skb"), ("wakeup", r"\[k\] sock_def_readable")):
        # a symbol can have more than one entry (perf splits __send by where
        # its samples' chains end): their children's shares add up
        share[key] = sum(float(x) for x in re.findall(
            r"^\s+([\d.]+)%\s+[\d.]+%\s+" + pat + r"\s*$", rep, re.M)) / 100
    # cpu-clock samples: the event count is the CPU time the forwarder had, ns
    cpu = int(re.search(r"Event count \(approx.\): (\d+)", rep).group(1))
    per_msg = cpu / max(res["got"] / res["took"] * secs, 1)  # forwarded, not offered
    return res, {k: v * per_msg for k, v in share.items()}, per_msg, cpu / (1e9 * secs)


CFS_PERIOD_US = 2500
CFS_QUOTA_MIN_US = 1000
CGROUP = "/sys/fs/cgroup"


class CpuShare:
    """A cgroup holding its processes to share of one CPU: the cpu
    controller's quota (cgroup v2's cpu.max, or v1's cfs_quota_us)."""

    def __init__(self, share):
        self.path = None
        if share is None:
            return
        if not 0 < share < 1:
            raise SystemExit("--cpu-share wants a fraction between 0 and 1, got %s" % share)
        period = max(CFS_PERIOD_US, math.ceil(CFS_QUOTA_MIN_US / share))
        quota = max(CFS_QUOTA_MIN_US, round(share * period))
        self.v2 = os.path.exists(os.path.join(CGROUP, "cgroup.controllers"))
        root = CGROUP if self.v2 else os.path.join(CGROUP, "cpu")
        if not os.path.isdir(root):
            raise SystemExit("--cpu-share needs the cpu controller (cgroup v2, or v1 at %s)" % root)
        if self.v2:
            self._write_at(root, "cgroup.subtree_control", "+cpu")
        self.path = os.path.join(root, "siplb-veth-bench-%d" % os.getpid())
        self.period = period
        os.mkdir(self.path)
        if self.v2:
            self._write("cpu.max", "%d %d" % (quota, period))
        else:
            self._write("cpu.cfs_period_us", period)
            self._write("cpu.cfs_quota_us", quota)
        self.quota = quota

    @staticmethod
    def _write_at(path, name, value):
        with open(os.path.join(path, name), "w") as f:
            f.write("%s\n" % value)

    def _write(self, name, value):
        self._write_at(self.path, name, value)

    def hold(self, pid):
        if self.path:
            self._write("cgroup.procs", pid)

    def throttled(self):
        """(periods throttled, total periods) so far."""
        if not self.path:
            return None
        with open(os.path.join(self.path, "cpu.stat")) as f:
            st = dict(l.split() for l in f)
        return int(st["nr_throttled"]), int(st["nr_periods"])

    def close(self):
        """Only once its processes have exited (a group with tasks cannot go)."""
        if self.path:
            for _ in range(50):
                try:
                    os.rmdir(self.path)
                    return
                except OSError:
                    time.sleep(0.1)


HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
HUGE_PAGES_WANTED = 600  # 512 MB each for the forwarder (-m 512), one at a time, and slack


class Hugepages:
    """2 MB pages for both forwarders (--hugepages): reserved and mounted
    here, given back and unmounted at the end. Without them EAL maps 4 KB
    pages (--no-huge): this says whether that matters to either (on
    2026-12-05 it showed no sign of it, bench/RESULTS.md)."""

    def __init__(self, wanted):
        self.dir, self.before = None, None
        if not wanted:
            return
        with open(HUGEPAGES) as f:
            self.before = int(f.read())
        self._set(self.before + HUGE_PAGES_WANTED)
        with open(HUGEPAGES) as f:
            got = int(f.read()) - self.before
        if got < HUGE_PAGES_WANTED:
            self.close()
            raise SystemExit("--hugepages: the kernel gave %d of %d 2 MB pages"
                             % (got, HUGE_PAGES_WANTED))
        self.dir = tempfile.mkdtemp(prefix="dp-veth-bench-huge-")
        E.sh("mount -t hugetlbfs -o pagesize=2M nodev %s" % self.dir)

    def _set(self, n):
        with open(HUGEPAGES, "w") as f:
            f.write("%d\n" % n)

    def eal(self, argv):
        """argv with --no-huge swapped for this mount."""
        if not self.dir:
            return argv
        i = argv.index("--no-huge")
        return argv[:i] + ["--huge-dir", self.dir] + argv[i + 1:]

    def close(self):
        """The count put back even where the mount is still busy (then the
        kernel frees the pages as their last user lets go)."""
        try:
            if self.dir:
                E.sh("umount %s" % self.dir, check=False)
                os.rmdir(self.dir)
                self.dir = None
        finally:
            if self.before is not None:
                self._set(self.before)


class BenchEnv(E.Env):
    """The test topology with siplb-dp on hugepages when huge has them."""

    def __init__(self, huge, *args, **kwargs):
        self.huge = huge
        super().__init__(*args, **kwargs)

    def dp_cmd(self):
        return self.huge.eal(super().dp_cmd())


def start_testpmd(env, build, mac, mode="mac", name="testpmd"):
    """mode: testpmd's forwarding engine; mac (the baseline) rewrites the
    Ethernet header alone, csum also recomputes the IP and UDP checksums in
    software (no TX offload on af_xdp), so it reads every byte of each
    datagram once, as siplb-dp must."""
    vdev = env.dp_cmd()[env.dp_cmd().index("--vdev") + 1]
    p = env.spawn("lb", env.huge.eal(
        ["dpdk-testpmd", "-l", "%d,%d" % (GEN_CPU, FWD_CPU), "--no-huge", "-m", "512",
         "--no-pci", "--file-prefix", env.p + "tp", "--vdev", vdev, "--",
         "--forward-mode=" + mode, "--eth-peer=0," + mac, "--nb-cores=1",
         "--total-num-mbufs=16384", "--stats-period=1"]), name)
    env.wait_for(lambda: "Port statistics" in env.log(name), name, p)
    steer_vip(env)
    boost(p.pid)
    return p


def steer_vip(env):
    """Puts the VIP into the steering program's map (what siplb-dp does)."""
    out = E.sh("ip -n %s -j link show lb" % env.ns("lb")).stdout
    prog = json.loads(out)[0]["xdp"]["prog"]["id"]
    info = json.loads(E.sh("bpftool -j prog show id %d" % prog).stdout)
    for mid in info.get("map_ids", []):
        m = json.loads(E.sh("bpftool -j map show id %d" % mid).stdout)
        if m.get("name") == "steer_vips":
            key = " ".join([str(int(x)) for x in E.VIP.split(".")] + ["0x13", "0xc4", "0", "0"])
            E.sh("bpftool map update id %d key %s value 1" % (mid, key))
            return
    raise RuntimeError("no steer_vips map on the testpmd port")


def cpu_note(cpu):
    if not cpu.path:
        return ""
    return ", held to %d us of every %d us" % (cpu.quota, cpu.period)


def log_lossless(s_flat, s_best, t_flat, t_best, log):
    s_rate = s_best["kept_up"] if s_best else 0
    t_rate = t_best["kept_up"] if t_best else 0
    bound = [n for n, b, f in (("siplb-dp", s_best, s_flat), ("testpmd", t_best, t_flat))
             if b is f]
    log("lossless (< %.1f%%): siplb-dp %.0f/s, testpmd %.0f/s; ratio %.3f%s"
        % (100 * LOSS_MAX, s_rate, t_rate, s_rate / t_rate if t_rate else 0,
           "; generator-bound (a lower bound): " + ", ".join(bound) if bound
           else "; both forwarders the limit (each lost at a rate the generator sent)"))


def log_throttle(cpu, log):
    t = cpu.throttled()
    if t:
        log("  CPU limit: throttled in %d of %d periods so far" % t)


def main():
    ap = argparse.ArgumentParser(description="siplb-dp against dpdk-testpmd over veth (root)")
    ap.add_argument("build", help="meson build directory")
    ap.add_argument("secs", nargs="?", type=float, default=2, help="seconds a trial (2)")
    ap.add_argument("--one-backend", action="store_true",
                    help="siplb-dp forwards to backend 1 alone, as testpmd does")
    ap.add_argument("--perf", action="store_true", help="profile both at one rate")
    ap.add_argument("--cpu-share", type=float, metavar="F",
                    help="hold each forwarder to F of one CPU (0 < F < 1)")
    ap.add_argument("--saturate", type=int, metavar="K",
                    help="no rate search: K flat-out trials each (with --cpu-share)")
    ap.add_argument("--hugepages", action="store_true",
                    help="both forwarders on 2 MB pages (reserved here, given back)")
    ap.add_argument("--rounds", type=int, metavar="R",
                    help="R interleaved rounds of one flat-out trial per forwarder, each "
                    "forwarder started afresh; the ratio per round (with --cpu-share)")
    ap.add_argument("--also", metavar="BUILD_B",
                    help="with --rounds: siplb-dp of another build in each round too")
    ap.add_argument("--csum-floor", action="store_true",
                    help="with --rounds: testpmd's csum engine in each round too (reads "
                    "each datagram once to checksum it in software)")
    ap.add_argument("--pad-floor", type=int, metavar="N",
                    help="with --rounds: testpmd's csum engine on INVITEs N bytes longer "
                    "(an X-Pad line) in each round too: frames of siplb-dp's output size "
                    "when N is what siplb-dp adds (the frame sizes each run prints)")
    opts = ap.parse_args()
    if (opts.saturate or opts.rounds) and not opts.cpu_share:
        ap.error("--saturate and --rounds need --cpu-share: with a whole CPU the generator "
                 "is the limit")
    if (opts.also or opts.csum_floor or opts.pad_floor is not None) and not opts.rounds:
        ap.error("--also, --csum-floor and --pad-floor go with --rounds")
    if opts.rounds and opts.saturate:
        ap.error("--rounds takes no --saturate")
    if opts.pad_floor is not None and not PAD_MIN <= opts.pad_floor <= PAD_MAX:
        ap.error("--pad-floor takes %d to %d bytes (sip-flood's PAD), got %d"
                 % (PAD_MIN, PAD_MAX, opts.pad_floor))
    subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "machine.sh")],
                   check=False)
    cpu = CpuShare(opts.cpu_share)
    huge = None
    try:
        huge = Hugepages(opts.hugepages)
        return run(os.path.abspath(opts.build), opts, cpu, huge)
    finally:
        if huge:
            huge.close()
        cpu.close()


class Contender:
    """A forwarder the rounds start, try once flat out and stop, on the same
    port: siplb-dp of a build, or testpmd with a forwarding engine."""

    def __init__(self, label, build=None, mode=None, pad=0):
        self.label, self.build, self.mode, self.runs = label, build, mode, []
        self.pad = pad  # bytes more in each INVITE the generator sends it

    def start(self, env, cpu, b1mac, n):
        if self.mode:
            E.sh("ip -n %s addr add %s/32 dev lo" % (env.ns("b1"), E.VIP))
            proc = start_testpmd(env, env.build, b1mac, self.mode, "testpmd-%d" % n)
        else:
            own, env.build = env.build, self.build  # its siplb-dp; siplbd stays
            try:
                argv = env.dp_cmd()
            finally:
                env.build = own
            name = "siplb-dp-%d" % n
            proc = env.spawn("lb", argv, name)
            env.wait_for(lambda: "forwarding" in env.log(name), name, proc)
            boost(proc.pid)
        cpu.hold(proc.pid)
        flood(env, env.build, 300, 3, 100)  # warm-up: neighbours, caches
        return proc

    def stop(self, env, proc):
        proc.send_signal(signal.SIGINT if self.mode else signal.SIGTERM)
        proc.wait(20)
        if self.mode:
            E.sh("ip -n %s addr del %s/32 dev lo" % (env.ns("b1"), E.VIP))

    def sinks(self, backends):
        return [("b1", E.VIP)] if self.mode else backends


def rounds(env, opts, cpu, b1mac, backends, log, out):
    """opts.rounds rounds, each one flat-out trial of every contender, the
    order turned by one each round: a contender's trials and the
    baseline's fall in the same minute, so the machine's drift (a
    forwarder's CPU time a message moves 1.3-2x from one run to the next
    here) is in each round's ratio less than in ratios of medians."""
    base = Contender("testpmd (mac)", mode="mac")
    field = [base, Contender("siplb-dp", env.build)]
    if opts.also:
        field.append(Contender("siplb-dp " + opts.also, os.path.abspath(opts.also)))
    if opts.csum_floor:
        field.append(Contender("testpmd (csum)", mode="csum"))
    if opts.pad_floor:
        field.append(Contender("testpmd (csum, +%d)" % opts.pad_floor, mode="csum",
                               pad=opts.pad_floor))
    n = 0
    for r in range(opts.rounds):
        for c in field[r % len(field):] + field[:r % len(field)]:
            n += 1
            proc = c.start(env, cpu, b1mac, n)
            trial = Trial(env, env.build, c.sinks(backends), "r%d" % n, proc.pid, c.pad)
            if out:
                t, ns, per_msg, _ = profile(env, proc.pid, trial, 0, opts.secs,
                                            "%s/%d-%s" % (out, n, proc_name(c, n)))
                t["own_ns"] = per_msg - ns["sendto"] - ns["recvfrom"]
                t["sendto_ns"] = ns["sendto"]
            else:
                t = trial(0, opts.secs)
            c.stop(env, proc)
            log("  round %d, %-16s %s" % (r + 1, c.label + ":", fmt(t)))
            if t["got"] < 0.01 * t["sent"]:
                raise RuntimeError("%s forwarded almost nothing; its log ends:\n%s" % (
                    c.label, "\n".join(env.log(proc_name(c, n)).splitlines()[-45:])))
            c.runs.append(t)
        log("round %d: ns of CPU a message: %s" % (r + 1, ", ".join(
            "%s %.0f%s" % (c.label, c.runs[-1]["cpu_per_msg"], notes(c.runs[-1]))
            for c in field)))
    log_throttle(cpu, log)
    summarize(field, base, opts.rounds, cpu, log)
    if out:  # kept for perf report; said, so that they do not pile up in /tmp unseen
        log("perf records and reports of each trial (perf record -g -p PID) in %s" % out)


def saturated(t):
    """Whether t's forwarder lost some of what it was offered. A poll-mode
    forwarder spends its whole share whatever it gets: its CPU time a
    message is its cost only where it could not take all it was offered."""
    return t["loss"] >= SATURATED


def notes(t):
    """What a round's line says of a trial beside its CPU time a message."""
    return ((" (outside sendto %.0f)" % t["own_ns"] if "own_ns" in t else "") +
            ("" if saturated(t) else " (not saturated)"))


def proc_name(c, n):
    return ("testpmd-%d" if c.mode else "siplb-dp-%d") % n


def summarize(field, base, n_rounds, cpu, log):
    """Each contender's ratio to the baseline of the same round, over the
    rounds where both were saturated."""
    log("%d rounds, flat out, held to %d us of every %d us; each against testpmd (mac) of the "
        "same round, per CPU-second (its ns a message over the contender's), rounds where "
        "both lost some (saturated) only:" % (n_rounds, cpu.quota, cpu.period))
    for c in field:
        pairs = [(b, t) for b, t in zip(base.runs, c.runs) if saturated(b) and saturated(t)]
        ns = [t["cpu_per_msg"] for _, t in pairs]
        if c is base or not pairs:
            log("  %-22s %s" % (c.label, "its ns a message: median %.0f (%.0f-%.0f)"
                                % (statistics.median(ns), min(ns), max(ns)) if ns
                                else "no round with both saturated"))
            continue
        ratio = [b["cpu_per_msg"] / t["cpu_per_msg"] for b, t in pairs]
        log("  %-22s median %.3f (%.3f-%.3f) in %d rounds; its ns a message: median %.0f "
            "(%.0f-%.0f)" % (c.label, statistics.median(ratio), min(ratio), max(ratio),
                             len(pairs), statistics.median(ns), min(ns), max(ns)))
    for c in field:
        if c.runs and "own_ns" in c.runs[0]:
            mine = [t["own_ns"] for t in c.runs]
            log("  %-22s outside sendto and recvfrom (its own code, the PMD, libc), ns a "
                "message: median %.0f (%.0f-%.0f); in sendto (the kernel's transmit path) "
                "%.0f" % (c.label, statistics.median(mine), min(mine), max(mine),
                          statistics.median(t["sendto_ns"] for t in c.runs)))
    for c in field:
        sizes = [t["frame_bytes"] for t in c.runs]
        log("  %-22s frames at the backends: median %.1f bytes" % (c.label,
                                                                statistics.median(sizes)))


def measure(trial, opts, log):
    """(flat-out trial, best lossless trial or None)."""
    if opts.saturate:
        return saturate(trial, opts.secs, opts.saturate, log), None
    return search(trial, opts.secs, log)


def run(build, opts, cpu, huge):
    secs = opts.secs
    out = tempfile.mkdtemp(prefix="dp-veth-bench-") if opts.perf else None  # the reports
    log = lambda s: print(s, flush=True)  # noqa: E731
    weights = (100,) if opts.one_backend else (50, 30, 20)
    with BenchEnv(huge, build, "af_xdp", weights, prefix="slbvb") as env:
        quiet_bridge(env)
        b1mac = json.loads(E.sh("ip -n %s -j link show b1" % env.ns("b1")).stdout)[0]["address"]
        backends = [("b%d" % i, a) for i, a in enumerate(E.BACKENDS[:len(weights)], 1)]
        dp, tp_mac = Contender("siplb-dp", build), Contender("testpmd", mode="mac")
        if opts.rounds:
            dp.stop(env, env.dp)  # the rounds start each afresh
            rounds(env, opts, cpu, b1mac, backends, log, out)
            return 0
        boost(env.dp.pid)
        cpu.hold(env.dp.pid)
        flood(env, build, 300, 3, 100)  # warm-up: neighbours, caches
        log("siplb-dp (%d backend(s))%s:" % (len(backends), cpu_note(cpu)))
        s_trial = Trial(env, build, dp.sinks(backends), "dp", env.dp.pid)
        s_flat, s_best = measure(s_trial, opts, log)
        log_throttle(cpu, log)
        dp.stop(env, env.dp)
        tp = tp_mac.start(env, cpu, b1mac, 1)
        log("testpmd (backend 1)%s:" % cpu_note(cpu))
        t_trial = Trial(env, build, tp_mac.sinks(backends), "tp", tp.pid)
        t_flat, t_best = measure(t_trial, opts, log)
        log_throttle(cpu, log)
        if cpu.path:
            log("flat out, held to the same share of CPU 1: siplb-dp forwarded %.0f/s at %.0f ns "
                "of CPU a message, testpmd %.0f/s at %.0f ns; ratio %.3f forwarded, %.3f per "
                "CPU-second" % (s_flat["got"] / s_flat["took"], s_flat["cpu_per_msg"],
                               t_flat["got"] / t_flat["took"], t_flat["cpu_per_msg"],
                               s_flat["got"] * t_flat["took"] / (t_flat["got"] * s_flat["took"]),
                               t_flat["cpu_per_msg"] / s_flat["cpu_per_msg"]))
        if not opts.saturate:
            log_lossless(s_flat, s_best, t_flat, t_best, log)
        if opts.perf and ((s_best and t_best) or cpu.path):
            # held to a share: flat out, so that the profile is of busy time
            rate = 0 if cpu.path else int(0.9 * min(s_best["kept_up"], t_best["kept_up"]))
            results = [("testpmd", profile(env, tp.pid, t_trial, rate, secs, out + "/testpmd"))]
            tp_mac.stop(env, tp)
            env.dp = dp.start(env, cpu, b1mac, 2)
            s_trial.pid = env.dp.pid
            results.append(("siplb-dp", profile(env, env.dp.pid, s_trial, rate, secs,
                                                out + "/siplb-dp")))
            log("profile at %s offered (perf record -g -p PID; reports in %s):"
                % ("%d/s" % rate if rate else "the generator's full rate", out))
            for name, (t, ns, per_msg, busy) in results:
                log("  %-8s %s\n           had %.0f%% of CPU 1, %.0f ns per message: sendto %.0f "
                    "(UDP receive %.0f, of it wakeups %.0f), recvfrom %.0f, the rest %.0f"
                    % (name, fmt(t), 100 * busy, per_msg, ns["sendto"], ns["udp"], ns["wakeup"],
                       ns["recvfrom"], per_msg - ns["sendto"] - ns["recvfrom"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
