#!/usr/bin/env python3
"""siplb-bench against SIPp: calls/s with 0 failed calls through siplb,
same topology, same cores, same run (issue 12 item 3).

The test topology (tests/e2e/topo.sh: client, siplb, three backends in
namespaces) with siplbd + siplb-dp on af_xdp. siplb-dp polls CPU 1
(-l 1); the caller and the three callees of each tool are pinned to CPU 0
(this machine has two cores: the caller and the callees share one, for
both tools alike), at nice -15, ahead of the machine's other work.

Calls: INVITE (with SDP) / (100) / 180 / 200 / ACK / 100 ms / BYE / 200.
Two paths: through siplb (one uas per backend), and straight from the
client to backend 1 (one uas; the tools alone).
- SIPp: tests/e2e/scenarios/uac.xml and uas.xml (-d 100), one uas per
  backend; each rate of RATES runs STEP seconds (-m rate*STEP); a rate
  passes when every call completed, none failed, and the calls took at
  most 10% longer than asked (SIPp falls behind when it cannot keep up).
- siplb-bench: uac --find-max --max-failed 0 --max-loss 1 --max-p99 1000
  (the same criterion: every call completes), one uas per backend.
The figure of each is its highest passing rate; the last line is the
ratio.

usage: bench_vs_sipp.py BUILD_DIR [STEP_SECONDS]   (root; under
flock /tmp/team/ns.lock flock /tmp/team/bench.lock)
"""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import siplb_env as E  # noqa: E402

NICE, CPU = -15, 0
HOLD_MS = 100       # between ACK and BYE, both tools (SIPp -d, siplb-bench --hold)
# SIPp's socket buffers as large as siplb-bench's (32 MB): its default,
# 64 KB, overflows on the bursts siplb-dp forwards (32 at a time).
SIPP_BUF = ["-buff_size", str(32 << 20)]
SIPP_RATES = [500, 1000, 1500, 2000, 2250, 2500, 2750, 3000, 4000, 5000, 6000, 8000, 10000, 12000,
              15000, 20000]
CPU_RATE = 1000     # the rate of the CPU-per-call comparison: both tools sustain it
# The two paths: through siplb to the three backends, and straight to
# backend 1 (the tools' own limit, with no load balancer in between).
PATHS = [("through siplb", E.VIP, [1, 2, 3]), ("direct to one uas", E.BACKENDS[0], [1])]


def pinned(argv):
    return ["nice", "-n", str(NICE), "taskset", "-c", str(CPU)] + argv


def sipp_step(env, rate, secs, target, backends):
    tag = "sipp-%s-%d" % (target, rate)
    for i in backends:
        addr = E.BACKENDS[i - 1]
        env.spawn("b%d" % i, pinned(["sipp", "-sf", os.path.join(E.SCENARIOS, "uas.xml"),
                                     "-i", addr, "-p", "5060", "-nostdin", "-timeout", "120s"] + SIPP_BUF),
                  "%s-uas%d" % (tag, i))
    time.sleep(0.5)
    calls = int(rate * secs)
    d = os.path.join(env.work, tag)
    os.makedirs(d, exist_ok=True)
    t0 = time.monotonic()
    proc = env.spawn("cl", pinned(["sipp", "-sf", os.path.join(E.SCENARIOS, "uac.xml"),
                                   "%s:5060" % target, "-i", E.CLIENT, "-p", "5062",
                                   "-m", str(calls), "-r", str(rate), "-d", str(HOLD_MS),
                                   "-l", str(max(1000, rate * 4)), "-nostdin", "-trace_stat",
                                   "-stf", os.path.join(d, "stat.csv"),
                                   "-timeout", "%ds" % (secs * 3 + 30)] + SIPP_BUF), tag, cwd=d)
    try:
        rc, st = env.uac_result(proc, tag, secs * 3 + 60)
    except subprocess.TimeoutExpired:  # stuck behind its own backlog: a fail
        proc.kill()
        proc.wait()
        rc, st = -1, {}
    took = time.monotonic() - t0
    env.stop(tag)
    ok, failed = int(st.get("SuccessfulCall(C)", 0)), int(st.get("FailedCall(C)", -1))
    passed = rc == 0 and ok == calls and failed == 0 and took <= secs * 1.1 + 1
    print("SIPp %6d/s: %d of %d calls, %d failed, %.1f s for %d s asked: %s"
          % (rate, ok, calls, failed, took, secs, "pass" if passed else "fail"), flush=True)
    return passed


def sipp_max(env, secs, target, backends):
    best = 0
    for rate in SIPP_RATES:
        if not sipp_step(env, rate, secs, target, backends):
            break
        best = rate
    return best


def bench_max(env, build, secs, target, backends):
    tool = os.path.join(build, "bench", "siplb_bench", "siplb-bench")
    for i in backends:
        addr = E.BACKENDS[i - 1]
        env.spawn("b%d" % i, pinned([tool, "uas", "--local", addr, "--cores", str(CPU),
                                     "--sockets", "1", "--max-time", "900"]), "bench-uas%d" % i)
    time.sleep(0.5)
    report = os.path.join(env.work, "find-max-%s.json" % target)
    r = subprocess.run(["ip", "netns", "exec", env.ns("cl")] + pinned(
        [tool, "uac", "%s:5060" % target, "--cores", str(CPU), "--sockets", "2", "--quiet", "--hold", str(HOLD_MS),
         "--find-max", "--min-rate", "2000", "--max-rate", "200000", "--step-time", str(secs),
         "--max-failed", "0", "--max-loss", "1", "--max-p99", "1000", "--precision", "0.05",
         "--max-steps", "12", "--json", report]), capture_output=True, text=True, timeout=900)
    print(r.stdout + r.stderr, flush=True)
    env.stop("bench-uas")
    with open(report) as f:
        return json.load(f)["find_max"]["rate"]


def reap(proc):
    """Waits for proc; its CPU time (user + system, s) from the kernel's
    rusage of the child (the process spawned, which exec'd the tool)."""
    _, _, ru = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return ru.ru_utime + ru.ru_stime


def cpu_per_call(env, build, rate, secs):
    """Each tool's caller and callee straight to backend 1 at one rate both
    sustain: CPU microseconds per completed call (a figure the machine's
    load hardly moves: it counts time on the CPU, not wall time)."""
    tool = os.path.join(build, "bench", "siplb_bench", "siplb-bench")
    b1, calls, out = E.BACKENDS[0], int(rate * secs), {}
    runs = {
        "SIPp": (pinned(["sipp", "-sf", os.path.join(E.SCENARIOS, "uas.xml"), "-i", b1, "-p",
                         "5060", "-nostdin", "-timeout", "120s"] + SIPP_BUF),
                 pinned(["sipp", "-sf", os.path.join(E.SCENARIOS, "uac.xml"), "%s:5060" % b1,
                         "-i", E.CLIENT, "-p", "5062", "-m", str(calls), "-r", str(rate),
                         "-d", str(HOLD_MS), "-nostdin", "-timeout", "120s"] + SIPP_BUF)),
        "siplb-bench": (pinned([tool, "uas", "--local", b1, "--cores", str(CPU), "--sockets",
                                "1", "--max-time", "120"]),
                        pinned([tool, "uac", "%s:5060" % b1, "--cores", str(CPU), "--sockets",
                                "2", "--quiet", "--hold", str(HOLD_MS), "--rate", str(rate),
                                "--calls", str(calls), "--duration", str(secs + 5)])),
    }
    for name, (uas_cmd, uac_cmd) in runs.items():
        uas = env.spawn("b1", uas_cmd, "cpu-%s-uas" % name)
        time.sleep(0.5)
        uac = env.spawn("cl", uac_cmd, "cpu-%s-uac" % name)
        cpu = reap(uac)
        uas.send_signal(signal.SIGTERM)
        cpu += reap(uas)
        out[name] = 1e6 * cpu / calls
        print("%s at %d calls/s for %d s: %.1f us of CPU per call (caller + callee)"
              % (name, rate, secs, out[name]), flush=True)
    return out


def main():
    build = os.path.abspath(sys.argv[1])
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if os.environ.get("SIPP_RATES"):  # a shorter search, for a quick look
        SIPP_RATES[:] = [int(r) for r in os.environ["SIPP_RATES"].split(",")]
    results, cpu = [], {}
    with E.Env(build, "af_xdp", prefix="bench%d" % (os.getpid() % 100000)) as env:
        E.sh("renice -n %d -p %s" % (NICE, " ".join(os.listdir("/proc/%d/task" % env.dp.pid))))
        cpu = cpu_per_call(env, build, CPU_RATE, secs)
        for name, target, backends in PATHS if not os.environ.get("CPU_ONLY") else ():
            print("== %s (%s)" % (name, target), flush=True)
            results.append((name, sipp_max(env, secs, target, backends),
                            bench_max(env, build, secs, target, backends)))
    print("machine: %s, %d CPUs, load %s; %s" % (
        os.uname().release, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    for name, sipp, bench in results:
        print("calls/s with 0 failed, %s: SIPp %d, siplb-bench %.0f: %.1fx"
              % (name, sipp, bench, bench / sipp if sipp else float("nan")))
    print("calls per CPU-second (caller + callee, direct, %d calls/s): SIPp %.0f, siplb-bench "
          "%.0f: %.1fx" % (CPU_RATE, 1e6 / cpu["SIPp"], 1e6 / cpu["siplb-bench"],
                           cpu["SIPp"] / cpu["siplb-bench"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
