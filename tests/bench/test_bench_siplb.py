#!/usr/bin/env python3
"""siplb-bench through siplb (siplbd + siplb-dp on af_xdp) in namespaces
(DESIGN.md "Test topology", tests/e2e/siplb_env.py): a uac on the client,
a uas on each of the three backends, calls, REGISTERs and OPTIONS at a
modest rate for a few seconds, then calls the callees hang up (their BYE
goes back through siplb along its Record-Route). Every scenario
completes, the JSON report has every field, the backends' shares follow
the weights, and no Call-ID reaches two backends.

usage: test_bench_siplb.py BUILD_DIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
import siplb_env as E  # noqa: E402
import bench_lib as L  # noqa: E402

check = E.check
WEIGHTS = (50, 30, 20)


def start_uas(env, bench, tag, extra=()):
    """A uas on each backend; returns their summary files."""
    out = []
    for i, addr in enumerate(E.BACKENDS, 1):
        summary = os.path.join(env.work, "%s-b%d.json" % (tag, i))
        env.spawn("b%d" % i, [bench, "uas", "--local", addr, "--summary", summary,
                              "--name", "b%d" % i, "--idle-exit", "1.5", "--max-time", "120"]
                  + list(extra), "%s-uas-b%d" % (tag, i))
        out.append(summary)
    env.wait_for(lambda: all("ready" in env.log("%s-uas-b%d" % (tag, i))
                             for i in range(1, 4)), "the uas ready")
    return out


def run(env, bench, tag, args, summaries):
    argv = [bench, "uac", "%s:5060" % E.VIP, "--quiet"] + args
    for s in summaries:
        argv += ["--summary", s]
    rc, out, rep = L.run_uac(argv, os.path.join(env.work, tag + ".json"), 120,
                             prefix=["ip", "netns", "exec", env.ns("cl")])
    print(out, flush=True)
    return rc, rep


def check_report(rep):
    missing = [f for f in L.REPORT_FIELDS if f not in rep]
    check(not missing, "the JSON report has every field (missing: %s)" % missing)
    lat = rep.get("latency_ms", {})
    check(all(k in lat and all(q in lat[k] for q in ("count", "p50", "p90", "p99", "p99_9"))
              for k in L.LATENCIES), "latency: p50/p90/p99/p99.9 of each exchange")
    check(rep.get("timeline") and all("p99_ms" in s and "offered" in s for s in rep["timeline"]),
          "a timeline sample per second")


def check_shares(rep):
    backends = rep.get("backends", [])
    shares = [round(100 * b.get("calls_share", 0), 1) for b in backends]
    check(len(backends) == 3 and all(abs(s - w) <= 8 for s, w in zip(shares, WEIGHTS)),
          "calls per backend %s%% follow the weights %s" % (shares, list(WEIGHTS)))
    check(rep.get("affinity_violations") == 0,
          "affinity violations: %s (a Call-ID on two backends)" % rep.get("affinity_violations"))
    check(rep.get("backend_loss") == 0, "every request reached a backend (loss %s)"
          % rep.get("backend_loss"))


def mixed(env, bench):
    summaries = start_uas(env, bench, "mix", ["--realm", "siplb", "--password", "pw"])
    rc, rep = run(env, bench, "mix", ["--rate", "200", "--duration", "3", "--hold", "200",
                                      "--mix", "call=70,register=15,options=15",
                                      "--password", "pw"], summaries)
    sc = rep.get("scenarios", {})
    check(rc == 0 and all(v["attempted"] == v["completed"] > 0 and v["failed"] == 0
                          for v in sc.values()),
          "calls, REGISTERs (401 then 200), OPTIONS through siplb: all complete %s (exit %d)"
          % ({k: (v["attempted"], v["completed"]) for k, v in sc.items()}, rc))
    check_report(rep)
    check_shares(rep)


def callee_hangs_up(env, bench):
    summaries = start_uas(env, bench, "cbye", ["--callee-bye", "200"])
    rc, rep = run(env, bench, "cbye", ["--rate", "100", "--calls", "200", "--hold", "5000"],
                  summaries)
    calls, cnt = rep.get("calls", {}), rep.get("counters", {})
    check(rc == 0 and calls.get("completed") == 200 and cnt.get("callee_byes") == 200,
          "200 calls hung up by the callee, BYE and 200 through siplb (%s, callee BYEs %s)"
          % (calls, cnt.get("callee_byes")))
    ok = sum(b["report"]["counters"]["callee_bye_ok"] for b in rep.get("backends", []))
    check(ok == 200, "the callees got the 200 of each BYE (%d)" % ok)
    check(rep.get("affinity_violations") == 0, "no Call-ID on two backends")


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    bench = L.tool(build)
    with E.Env(build, "af_xdp", weights=WEIGHTS, prefix="bench%d" % (os.getpid() % 100000)) as env:
        mixed(env, bench)
        callee_hangs_up(env, bench)
    print("FAILED: %d" % len(E.FAILURES) if E.FAILURES else "all passed")
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
