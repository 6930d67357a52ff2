#!/usr/bin/env python3
"""siplb's XDP program in DSR mode against a no-op XDP_TX program, native
XDP on one veth pair between two namespaces, same run:

  namespace P-cl: veth cl  192.0.2.10 (the generator) and 192.0.2.21-23
                  (the three backends' addresses), xdp_sink: drops all but ARP
  namespace P-lb: veth lb  192.0.2.1, VIP 192.0.2.100; the program under test

A `sip-flood` generator (sendmmsg, distinct INVITEs, flat out, bounded in
count and time) in P-cl sends to the VIP. siplb's program (siplbd, DSR VIP,
three backends, IPIP) encapsulates each INVITE and sends it back out of lb
with XDP_TX to the backend's MAC, i.e. to cl; the no-op (bpf/xdp_noop.bpf.c)
sends each frame back out unchanged. Either way the frames arrive on cl,
whose xdp_sink drops them at the same cost, and which counts them
(rx_queue_0_xdp_drops). Forwarded per second = frames that arrived on cl /
the generator's time; cpu_ns = the machine's CPU time (/proc/stat, not
idle) during the flood / frames received, the whole path's cost per packet.
Rounds alternate the two programs (siplb, no-op, siplb, ...), in two
settings of lb's NAPI: "softirq", the default, where the program runs in the
softirq the generator's send raised, on the generator's CPU (the rate is one
CPU's worth of the whole path: generator, veth, program, receiver), and
"threaded" (/sys/class/net/lb/threaded), where it runs in a kernel thread
the scheduler may place on the other CPU. The table gives each round; the
summary, per setting, the medians and their ratio, the median and range of
the ratios of each round's pair (adjacent runs: robust to the drift of a
shared VM), and the CPU cost difference.

usage: xdp_veth_bench.py BUILD_DIR [MESSAGES] [SECONDS] [ROUNDS]   (root)
"""
import os
import re
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import siplb_env as E  # noqa: E402


class PairEnv(E.Env):
    """siplb_env's environment (siplbd, DSR, its stats) on one veth pair."""

    def build_topology(self):
        cl, lb = self.ns("cl"), self.ns("lb")
        for ns in (cl, lb):
            E.sh("ip netns add %s && ip -n %s link set lo up" % (ns, ns))
        E.sh("ip link add cl netns %s type veth peer name lb netns %s" % (cl, lb))
        for a in [E.CLIENT] + E.BACKENDS:
            E.sh("ip -n %s addr add %s/24 dev cl" % (cl, a))
        E.sh("ip -n %s addr add %s/24 dev lb && ip -n %s addr add %s/32 dev lb"
             % (lb, E.SIPLB, lb, E.VIP))
        for ns, dev in ((cl, "cl"), (lb, "lb")):
            E.sh("ip -n %s link set %s up && ip netns exec %s ethtool -K %s tx off >/dev/null"
                 % (ns, dev, ns, dev))
        E.sh("ip -n %s link set dev cl xdpdrv obj %s sec xdp"
             % (cl, self.tool("tests/e2e/xdp_sink.o")))


def veth_counters(env, host, dev):
    out = E.sh("ip netns exec %s ethtool -S %s" % (env.ns(host), dev)).stdout
    return {k: int(v) for k, v in re.findall(r"^\s+(\w+): (\d+)$", out, re.M)}


def use_siplb(env):
    """Off with whatever is on lb; siplbd (SIGHUP) attaches siplb's program."""
    n = env.log("siplbd").count("xdp: attached")
    E.sh("ip -n %s link set dev lb xdp off" % env.ns("lb"))
    env.siplbd.send_signal(signal.SIGHUP)
    env.wait_for(lambda: env.log("siplbd").count("xdp: attached") > n,
                 "siplbd attaching its program again", env.siplbd)


def use_noop(env):
    E.sh("ip -n %s link set dev lb xdp off && ip -n %s link set dev lb xdpdrv obj %s sec xdp"
         % (env.ns("lb"), env.ns("lb"), env.tool("tests/e2e/xdp_noop.o")))


def attached(env):
    out = E.sh("ip -n %s link show dev lb" % env.ns("lb")).stdout
    m = re.search(r"prog/xdp id \d+ name (\S+)", out)
    return m.group(1) if m else "-"


def cpu_busy():
    """Seconds of CPU time spent not idle, all CPUs (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def measure(env, count, secs):
    """One flat-out flood; what lb sent back and cl received, and the CPU
    time the machine spent meanwhile."""
    time.sleep(0.5)
    lb0, cl0, st0 = veth_counters(env, "lb", "lb"), veth_counters(env, "cl", "cl"), env.stats()
    busy0 = cpu_busy()
    sent, took = env.sip_flood("cl", 5060, count, secs)
    busy = cpu_busy() - busy0
    time.sleep(0.5)
    lb1, cl1, st1 = veth_counters(env, "lb", "lb"), veth_counters(env, "cl", "cl"), env.stats()
    d = lambda a, b, k: b.get(k, 0) - a.get(k, 0)
    x = E.xdp_delta(st0, st1)
    return dict(prog=attached(env), sent=sent, secs=took, busy=busy,
                tx=d(lb0, lb1, "rx_queue_0_xdp_tx"), tx_err=d(lb0, lb1, "rx_queue_0_xdp_tx_errors"),
                got=d(cl0, cl1, "rx_queue_0_xdp_drops"), dsr=x["verdicts"].get("dsr", 0))


def set_napi(env, mode):
    """softirq: lb's NAPI runs where the generator's send raised it (the
    default); threaded: in a kernel thread the scheduler may put on the other
    CPU. Set after every attach: an attach makes the veth's NAPI anew."""
    E.sh("ip netns exec %s sh -c 'echo %d > /sys/class/net/lb/threaded'"
         % (env.ns("lb"), mode == "threaded"))


PROGRAMS = (("siplb_xdp", use_siplb), ("xdp_noop", use_noop))
MODES = ("softirq", "threaded")


def main():
    build = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000000
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 3
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    if os.geteuid() != 0:
        print("needs root (namespaces, bpffs, XDP)")
        return 77
    rows = []
    with PairEnv(build, None, prefix="sxvb%d" % (os.getpid() % 100000), mode="dsr") as env:
        env.sip_flood("cl", 5060, 1000, 2, 1000)  # warm-up: neighbours, caches
        for mode in MODES:
            for r in range(rounds):
                for prog, use in PROGRAMS:
                    use(env)
                    set_napi(env, mode)
                    row = measure(env, count, secs)
                    if row["prog"] != prog:
                        raise RuntimeError("%s attached, %s expected" % (row["prog"], prog))
                    row.update(mode=mode, round=r + 1)
                    rows.append(row)
    print("%-9s %-8s %5s %9s %6s %9s %9s %6s %9s %9s %8s %8s" % (
        "program", "napi", "round", "sent", "secs", "sent/s", "xdp_tx", "tx_err", "received",
        "fwd/s", "cpu_ns", "dsr"))
    for w in rows:
        print("%-9s %-8s %5d %9d %6.2f %9.0f %9d %6d %9d %9.0f %8.0f %8s" % (
            w["prog"], w["mode"], w["round"], w["sent"], w["secs"], w["sent"] / w["secs"],
            w["tx"], w["tx_err"], w["got"], w["got"] / w["secs"],
            w["busy"] * 1e9 / max(w["got"], 1), w["dsr"] if w["prog"] == "siplb_xdp" else "-"))
    print("cpu_ns: CPU time of the whole machine during the flood / frames received")
    for mode in MODES:
        med = {p: (statistics.median(w["got"] / w["secs"] for w in rows
                                     if w["prog"] == p and w["mode"] == mode),
                   statistics.median(w["busy"] * 1e9 / max(w["got"], 1) for w in rows
                                     if w["prog"] == p and w["mode"] == mode))
               for p, _ in PROGRAMS}
        (s_rate, s_ns), (n_rate, n_ns) = med["siplb_xdp"], med["xdp_noop"]
        rate = {(w["prog"], w["round"]): w["got"] / w["secs"] for w in rows if w["mode"] == mode}
        pairs = sorted(rate[("siplb_xdp", r)] / rate[("xdp_noop", r)]
                       for r in range(1, rounds + 1))
        print("%-8s median forwarded/s: siplb_xdp (DSR, IPIP) %.0f, xdp_noop (XDP_TX) %.0f; "
              "ratio %.3f (per round: median %.3f, %.3f..%.3f); CPU per packet %.0f vs %.0f ns "
              "(%+.0f ns)" % (mode, s_rate, n_rate, s_rate / n_rate, statistics.median(pairs),
                             pairs[0], pairs[-1], s_ns, n_ns, s_ns - n_ns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
