#!/usr/bin/env python3
"""End to end, flood protection in siplb's XDP program, in namespaces
(DESIGN.md "Test topology"): siplbd alone, DSR VIPs (no poll-mode core),
three client hosts on the segment:

  cl  192.0.2.10  floods far above flood.source_rate: cut to the rate
  cl2 192.0.2.11  in flood.blocklist: nothing passes
  cl3 192.0.2.12  SIPp calls below the rate: all complete, meanwhile

The floods go to VIP 192.0.2.100:5070 ("flood", siplb-bench sink on every backend
counts what passes), the calls to 192.0.2.100:5060 ("sip", SIPp backends):
same address, same pool, same per-source limiter. Then the blocklist is
changed at run time (config edited, SIGHUP), and a per-VIP cap is tried.
Every load is bounded in count and time.

How close "cut to the rate" must be: GCRA (include/siplb/xdp.h) lets a
source that starts idle and keeps sending above the rate pass exactly
burst + 1 + floor(rate x T) packets in T seconds. What can move that here:
T is the generator's own first-to-last send time (the program sees the
same packets microseconds later), CPUs update the state without a lock (a
packet or two more), and a generator descheduled for longer than
burst / rate (250 ms) loses what it did not send. 10% (105 packets of the
~1050 expected) covers all of that with room; a limiter that were off by a
factor, counted in the wrong unit or not at all is far outside.

usage: test_e2e_flood.py BUILD_DIR
"""
import concurrent.futures
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

check = E.check
CL, CL2, CL3 = "192.0.2.10", "192.0.2.11", "192.0.2.12"
RATE, BURST = 200, 50
FLOOD_PORT = 5070
FLOOD_VIP = dict(name="flood", port=FLOOD_PORT, mode="dsr")
TOLERANCE = 0.10


def floods(env, *runs):
    """bench/sip-flood from several hosts at once; runs are (host, count,
    seconds, rate); returns [(sent, seconds)] in the same order."""
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        jobs = [pool.submit(env.sip_flood, host, FLOOD_PORT, count, secs, rate)
                for host, count, secs, rate in runs]
        return [j.result() for j in jobs]


def near(got, want):
    return abs(got - want) <= TOLERANCE * want


def source_rate_and_blocklist(env):
    """cl floods at 100x the rate, cl2 (blocked) floods, cl3 makes calls."""
    sinks = env.start_sinks(E.VIP, FLOOD_PORT, "p1")
    env.start_backends("uas.xml", "calls", bind=E.VIP)
    before = env.stats()
    uac = env.run_uac("uac.xml", 300, 30, ["-d", "100"], tag="uac-cl3", host="cl3", addr=CL3,
                      timeout=60, wait=False)
    time.sleep(1)
    (sent, secs), (sent2, _) = floods(env, ("cl", 200000, 5, 20000), ("cl2", 50000, 5, 5000))
    rc, st = env.uac_result(uac, "uac-cl3")
    env.stop("calls")
    got = sum(env.sink_counts(sinks, "p1"))
    d = E.xdp_delta(before, env.stats())
    want = BURST + 1 + int(RATE * secs)
    check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == 300 and
          int(st.get("FailedCall(C)", -1)) == 0,
          "cl3's calls during the floods: %s completed, %s failed (SIPp exit %d)"
          % (st.get("SuccessfulCall(C)"), st.get("FailedCall(C)"), rc))
    check(sent > 20 * RATE * secs, "cl flooded at %.0f/s, %dx source_rate" %
          (sent / secs, sent / secs / RATE))
    check(near(got, want), "cl: %d of %d packets in %.2f s passed, source_rate %d burst %d "
          "allows %d (within %d%%)" % (got, sent, secs, RATE, BURST, want, TOLERANCE * 100))
    check(d["drop"]["source_rate"] + got == sent,
          "XDP: the rest of cl's flood dropped as source_rate (%d + %d passed = %d sent)"
          % (d["drop"]["source_rate"], got, sent))
    check(d["drop"]["blocked"] == sent2 and sent2 > 0,
          "cl2 (blocklist 192.0.2.11/32): all %d packets dropped as blocked (%d)"
          % (sent2, d["drop"]["blocked"]))
    check(d["vips"].get("flood") == sent + sent2,
          "XDP: %s packets to the flood VIP, %d sent" % (d["vips"].get("flood"), sent + sent2))


def blocklist_reload(env):
    """Edit the blocklist, SIGHUP: cl is blocked now, cl2 passes. Each sends
    one sendmmsg batch of 50, within cl2's burst (51 back to back)."""
    env.reconfigure(flood=dict(source_rate=RATE, source_burst=BURST, blocklist=[CL + "/32"]))
    sinks = env.start_sinks(E.VIP, FLOOD_PORT, "p2", secs=20, idle_ms=1500)
    before = env.stats()
    (sent, _), (sent2, _) = floods(env, ("cl", BURST, 5, 0), ("cl2", BURST, 5, 0))
    got = sum(env.sink_counts(sinks, "p2"))
    d = E.xdp_delta(before, env.stats())
    check(got == sent2 == BURST and d["drop"]["blocked"] == sent == BURST,
          "after a reload with blocklist %s/32: cl2 passes (%d of %d at the backends, %d "
          "dropped as source_rate), cl is blocked (%d of %d)"
          % (CL, got, sent2, d["drop"]["source_rate"], d["drop"]["blocked"], sent))


def vip_cap(env):
    """A VIP's own rate: cl and cl2 together, no per-source limit."""
    cap, burst = 300, 30
    env.reconfigure(vips=[dict(FLOOD_VIP, rate=cap, burst=burst)], flood=dict(blocklist=[]))
    sinks = env.start_sinks(E.VIP, FLOOD_PORT, "p3")
    before = env.stats()
    (s1, t1), (s2, t2) = floods(env, ("cl", 30000, 3, 5000), ("cl2", 30000, 3, 5000))
    got = sum(env.sink_counts(sinks, "p3"))
    d = E.xdp_delta(before, env.stats())
    want = burst + 1 + int(cap * max(t1, t2))
    check(near(got, want) and d["drop"]["vip_rate"] + got == s1 + s2,
          "VIP rate %d burst %d: %d of %d packets from two sources passed in %.2f s, "
          "allowed %d; %d dropped as vip_rate" % (cap, burst, got, s1 + s2, max(t1, t2), want,
                                                 d["drop"]["vip_rate"]))
    check(d["drop"]["blocked"] == d["drop"]["source_rate"] == 0,
          "with the blocklist emptied and source_rate 0 by the same reload: %d blocked, "
          "%d source_rate" % (d["drop"]["blocked"], d["drop"]["source_rate"]))


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    with E.Env(build, None, prefix="sfld%d" % (os.getpid() % 100000), mode="dsr",
               vips=[FLOOD_VIP], hosts={"cl2": CL2, "cl3": CL3},
               flood=dict(source_rate=RATE, source_burst=BURST,
                          blocklist=[CL2 + "/32"])) as env:
        try:
            source_rate_and_blocklist(env)
            blocklist_reload(env)
            vip_cap(env)
        finally:
            print(json.dumps(env.stats().get("xdp"), sort_keys=True)[:2000])
    print("e2e flood: %d failures" % len(E.FAILURES))
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
