#!/usr/bin/env python3
"""siplb-bench on loopback, no namespaces: a uac/uas pair over IPv6 with
every scenario (calls, REGISTER with a digest round, OPTIONS, the callee
hanging up), --find-max converging, and bad arguments refused with exit 2
and a message.

usage: test_bench_loopback.py BUILD_DIR
"""
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, exit_status  # noqa: E402
import bench_lib as L  # noqa: E402


def ipv6_mix(bench, work):
    """Every kind of scenario over ::1, answered by a uas that challenges
    REGISTERs and hangs up calls itself."""
    port = L.free_port(socket.AF_INET6, "::1")
    summary = os.path.join(work, "uas6.json")
    uas = L.spawn([bench, "uas", "--local", "[::1]:%d" % port, "--realm", "bench",
                   "--password", "pw", "--callee-bye", "300", "--threads", "2",
                   "--summary", summary, "--name", "uas6", "--idle-exit", "1",
                   "--max-time", "60"], os.path.join(work, "uas6.log"))
    rc, out, rep = L.run_uac([bench, "uac", "[::1]:%d" % port, "--rate", "300", "--calls", "600",
                              "--hold", "2000", "--mix", "call=50,register=30,options=20",
                              "--password", "pw", "--threads", "2", "--summary", summary],
                             os.path.join(work, "ipv6.json"), 90)
    L.stop(uas)
    sc = rep.get("scenarios", {})
    done = {k: (v["attempted"], v["completed"], v["failed"]) for k, v in sc.items()}
    check(rc == 0 and sum(a for a, _, _ in done.values()) == 600 and
          all(a == c and f == 0 for a, c, f in done.values()),
          "IPv6: 600 scenarios (call/register/options), all completed: %s (exit %d)"
          % (done, rc))
    cnt = rep.get("counters", {})
    check(cnt.get("auth_rounds") == done.get("register", (0,))[0],
          "each REGISTER answered its 401 with credentials (%s rounds)" % cnt.get("auth_rounds"))
    check(cnt.get("callee_byes") == done.get("call", (0,))[0],
          "every call hung up by the callee (%s of %s)" % (cnt.get("callee_byes"),
                                                          done.get("call")))
    check(rep.get("affinity_violations") == 0, "one backend, no affinity violation")
    if rc:
        print(out)


def find_max(bench, work):
    port = L.free_port()
    uas = L.spawn([bench, "uas", "--local", "127.0.0.1:%d" % port, "--max-time", "120"],
                  os.path.join(work, "uas-fm.log"))
    rc, out, rep = L.run_uac([bench, "uac", "127.0.0.1:%d" % port, "--find-max",
                              "--min-rate", "500", "--max-rate", "4000", "--step-time", "1",
                              "--precision", "0.2", "--max-steps", "8", "--max-p99", "200",
                              "--quiet"], os.path.join(work, "fm.json"), 150)
    L.stop(uas)
    fm = rep.get("find_max") or {}
    steps = fm.get("steps", [])
    passed = [s["rate"] for s in steps if s["pass"]]
    failed = [s["rate"] for s in steps if not s["pass"]]
    best = max(passed, default=0)
    above = min([r for r in failed if r > best], default=None)
    converged = best == 4000 or (above is not None and (above - best) / above < 0.2)
    check(rc == 0 and best > 0 and fm.get("rate") == best and converged and len(steps) <= 8,
          "--find-max converged: %.0f/s in %d steps (first failing rate above: %s; exit %d)"
          % (best, len(steps), above, rc))
    if rc:
        print(out)


BAD = [
    ([], "the first argument is the role"),
    (["proxy"], "the first argument is the role"),
    (["uac"], "needs a target"),
    (["uac", "127.0.0.1:5060", "--rate", "fast"], "--rate 'fast': not a number"),
    (["uac", "127.0.0.1:5060", "--rate", "-5"], "--rate '-5': out of range"),
    (["uac", "127.0.0.1:99999"], "the port is not 1..65535"),
    (["uac", "example.com"], "expected ADDR"),
    (["uac", "127.0.0.1", "--mix", "call=1,invite=2"], "kinds are call, register, options"),
    (["uac", "127.0.0.1", "--cores", "1-0"], "expected a list like 0,2-3"),
    (["uac", "127.0.0.1", "--find-max", "--max-rate", "10", "--min-rate", "20"],
     "--find-max needs --max-rate above --min-rate"),
    (["uac", "127.0.0.1", "--realm", "x"], "--realm is not an option of uac"),
    (["uas"], "needs --local"),
    (["uas", "--local", "0.0.0.0"], "needs --local with a unicast address"),
    (["uas", "--local", "127.0.0.1", "--rate", "5"], "--rate is not an option of uas"),
    (["uas", "--local", "127.0.0.1", "--realm", "r"], "--realm needs --password"),
    (["sink", "--local", "127.0.0.1", "--bogus"], "--bogus: unknown option"),
    (["sink", "--local", "127.0.0.1", "extra"], "takes no argument"),
]


def bad_arguments(bench):
    for args, want in BAD:
        r = subprocess.run([bench] + args, capture_output=True, text=True, timeout=10)
        check(r.returncode == 2 and want in r.stderr,
              "siplb-bench %s: exit 2, says %r (got %d: %s)"
              % (" ".join(args), want, r.returncode, r.stderr.strip()))
    r = subprocess.run([bench, "--help"], capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and "siplb-bench uac TARGET" in r.stdout, "--help: usage, exit 0")


def main():
    bench = L.tool(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="siplb-bench-test-") as work:
        bad_arguments(bench)
        ipv6_mix(bench, work)
        find_max(bench, work)
    print("%s" % ("FAILED" if exit_status() else "all passed"))
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
