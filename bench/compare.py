#!/usr/bin/env python3
"""siplb against Kamailio 5.6's dispatcher, same topology, same generator,
same run (issue 12 item 4): the headline in one command (bench/compare.sh).

The test topology (tests/e2e/topo.sh) with static bridge entries and no
br_netfilter (dp_veth_bench.quiet_bridge). A sendmmsg generator
(bench/sip-flood) on the client, pinned to CPU 0, sends INVITEs (4,096
Call-IDs) to the VIP; sinks (siplb-bench sink) on the three backends, CPU 0,
count what arrives. Each forwarder has CPU 1:
- siplb: siplbd + siplb-dp on af_xdp, one worker lcore (-l 1), proxy mode
  (Via inserted, Record-Route, Call-ID hash over Maglev);
- Kamailio 5.6: sl, maxfwd, dispatcher, algorithm 0 (Call-ID hash),
  stateless forward(); children=1 with every Kamailio process pinned to
  CPU 1, then children=8 (its default) on the same CPU;
- siplb in DSR mode (siplbd's XDP program encapsulating to the backends).
For each: the generator flat out, then a bisection for the highest rate
lost at under 0.1% (as dp_veth_bench.search, reaching lower), and the
forwarder's CPU time (utime + stime of its processes, /proc, while the
stream runs) over the messages forwarded at that rate. The last line is the ratio of the one-core lossless rates.

usage: compare.py BUILD_DIR [TRIAL_SECONDS]   (root; bounded: about 4 min at 2 s)
"""
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dp_veth_bench as V  # noqa: E402

E = V.E
KAMAILIO_CFG = """#!KAMAILIO
children=%(children)d
listen=udp:%(vip)s:5060
log_stderror=yes
debug=1
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "%(list)s")
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (!ds_select_dst("1", "0")) { sl_send_reply("503", "No Backend"); exit; }
    forward();
    exit;
}
"""


def cpu_secs(pids):
    """utime + stime of the processes (all their threads), in seconds."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tick


class CpuTrial(V.Trial):
    """A trial that also takes the forwarder's CPU time while the stream
    runs (not while the sinks start or wait out their idle time), over the
    messages forwarded."""

    def __init__(self, env, build, sinks, tag, pids):
        super().__init__(env, build, sinks, tag)
        self.pids = pids

    def __call__(self, rate, secs, during=None):
        marks, flood = [], V.flood

        def timed_flood(*args):
            marks.append(cpu_secs(self.pids()))
            try:
                return flood(*args)
            finally:
                marks.append(cpu_secs(self.pids()))
        V.flood = timed_flood  # Trial calls dp_veth_bench.flood by its module name
        try:
            t = super().__call__(rate, secs, during)
        finally:
            V.flood = flood
        # no process to measure (DSR: XDP in the sender's send): no figure
        t["cpu_us_per_msg"] = (1e6 * (marks[1] - marks[0]) / max(t["got"], 1)
                               if self.pids() else float("nan"))
        return t


def search(trial, secs, log, steps=10):
    """dp_veth_bench.search's criterion, reaching lower: from 0.6 of the
    flat-out rate, halving while each rate loses, then a bisection (Kamailio
    with one child holds a tenth of what the generator offers)."""
    flat = trial(0, secs)
    log("  flat out: %s" % V.fmt(flat))
    if flat["loss"] < V.LOSS_MAX:
        return flat, flat
    lo, hi, best, rate = 0.0, flat["kept_up"], None, flat["kept_up"] * 0.6
    for _ in range(steps):
        t = trial(int(rate), secs)
        log("  %7d/s: %s" % (rate, V.fmt(t)))
        if t["kept_up"] >= V.KEPT_UP * rate and t["loss"] < V.LOSS_MAX:
            lo, best = rate, t
        else:
            hi = rate
        rate = (lo + hi) / 2 if best else rate / 2
    return flat, best


def measure(name, trial, secs, log):
    log("%s:" % name)
    flat, best = search(trial, secs, log)
    rate = best["kept_up"] if best else 0
    cpu = best["cpu_us_per_msg"] if best else float("nan")
    log("  %s: lossless %.0f msgs/s, %.2f us of CPU per message" % (name, rate, cpu))
    return name, rate, cpu, best is flat


def ns_pids(env, host):
    out = E.sh("ip netns pids %s" % env.ns(host), check=False).stdout.split()
    return [int(p) for p in out]


def start_kamailio(env, children):
    run = os.path.join(env.work, "kamailio-%d" % children)
    os.makedirs(run, exist_ok=True)
    lst, cfg = os.path.join(run, "dispatcher.list"), os.path.join(run, "kamailio.cfg")
    with open(lst, "w") as f:
        f.writelines("1 sip:%s:5060\n" % a for a in E.BACKENDS)
    with open(cfg, "w") as f:
        f.write(KAMAILIO_CFG % dict(children=children, vip=E.VIP, list=lst))
    name = "kamailio-%d" % children
    proc = env.spawn("lb", V.pinned(["kamailio", "-DD", "-E", "-f", cfg, "-P",
                                     os.path.join(run, "kamailio.pid"), "-w", run,
                                     "-m", "64", "-M", "16"], V.FWD_CPU), name)
    env.wait_for(lambda: ":5060" in E.sh("ip netns exec %s ss -lun" % env.ns("lb")).stdout,
                 "kamailio listening", proc)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)


def kamailio_run(env, build, backends, children, secs, log):
    proc = start_kamailio(env, children)
    pids = lambda: [p for p in ns_pids(env, "lb")]  # noqa: E731 (kamailio is all lb runs now)
    V.flood(env, build, 300, 3, 100)  # warm-up: neighbours
    result = measure("kamailio children=%d" % children,
                     CpuTrial(env, build, backends, "k%d" % children, pids), secs, log)
    stop(proc)
    return result


def siplb_run(env, build, backends, secs, log):
    V.boost(env.dp.pid)
    V.flood(env, build, 300, 3, 100)
    pid = env.dp.pid
    result = measure("siplb (siplb-dp, 1 lcore)",
                     CpuTrial(env, build, backends, "dp", lambda: [pid]), secs, log)
    env.dp.send_signal(signal.SIGTERM)
    env.dp.wait(10)
    env.siplbd.send_signal(signal.SIGTERM)
    env.siplbd.wait(10)
    # the kernel's stack answers for the VIP again: no XDP steering left
    E.sh("ip -n %s link set dev lb xdp off" % env.ns("lb"), check=False)
    return result


def dsr_run(build, secs, log):
    """siplb in DSR mode: siplbd's XDP program alone, IPIP to backends that
    own the VIP (siplb_env's DSR set-up); the sinks listen on the VIP. On
    veth the XDP program runs in the generator's send, on CPU 0: no
    process of siplb's to take CPU time from."""
    with E.Env(build, None, (50, 30, 20), mode="dsr",
               prefix="cmd%d" % (os.getpid() % 100000)) as env:
        V.quiet_bridge(env)
        V.flood(env, build, 300, 3, 100)
        backends = [("b%d" % i, E.VIP) for i in range(1, 4)]
        return measure("siplb DSR (XDP, IPIP)", CpuTrial(env, build, backends, "dsr",
                                                         lambda: []), secs, log)


def main():
    build = os.path.abspath(sys.argv[1])
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 2
    log = lambda s: print(s, flush=True)  # noqa: E731
    t0 = time.monotonic()
    with E.Env(build, "af_xdp", (50, 30, 20), prefix="cmp%d" % (os.getpid() % 100000)) as env:
        V.quiet_bridge(env)
        backends = [("b%d" % i, a) for i, a in enumerate(E.BACKENDS, 1)]
        rows = [siplb_run(env, build, backends, secs, log)]
        for children in (1, 8):
            rows.append(kamailio_run(env, build, backends, children, secs, log))
    rows.append(dsr_run(build, secs, log))
    log("\n%-28s %14s %16s" % ("forwarder (CPU 1)", "msgs/s <0.1%", "CPU us per msg"))
    for name, rate, cpu, bound in rows:
        log("%-28s %14.0f %16s%s" % (name, rate, "%.2f" % cpu if cpu == cpu else "-",
                                     "  (generator-bound: a lower bound)" if bound else ""))
    log("machine: %s, %d CPUs, load %s; %s; %.0f s" % (
        os.uname().release, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), time.monotonic() - t0))
    siplb, kam1 = rows[0][1], rows[1][1]
    log("siplb/kamailio per-core message rate: %.1fx" % (siplb / kam1 if kam1 else float("nan")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
