#!/usr/bin/env python3
"""The README's demo: siplb in its own namespaces (a client, siplb, three
backends) on its default config, SIPp making calls through the VIP for a
bounded time, then a summary and a clean-up.

usage: demo.py BUILD_DIR [CALLS] [RATE]
"""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

WEIGHTS = (50, 30, 20)


def main():
    build = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    print("siplb demo: client %s -> VIP %s:5060 -> backends %s (weights %s)"
          % (E.CLIENT, E.VIP, ", ".join(E.BACKENDS), "/".join(map(str, WEIGHTS))))
    print("starting namespaces, siplbd and siplb-dp (af_xdp) ...", flush=True)
    with E.Env(build, "af_xdp", WEIGHTS, prefix="slbdemo") as env:
        dirs = env.start_backends("uas.xml", "demo")
        print("SIPp: %d calls (INVITE/ACK/BYE, 1 s each) at %d calls/s ..." % (calls, rate),
              flush=True)
        rc, st = env.run_uac("uac.xml", calls, rate, ["-d", "1000", "-l", str(rate * 4)],
                             timeout=calls // rate + 60, tag="demo-uac")
        env.stop("demo")
        stats = env.stats()
        per = []
        for d in dirs:
            msgs = E.traced_messages(os.path.join(d, "msg.log"))
            per.append(len({c for _, t, c, _ in msgs if t == "INVITE"}))
    attempted = int(st.get("TotalCallCreated", 0))
    done, failed = int(st.get("SuccessfulCall(C)", 0)), int(st.get("FailedCall(C)", 0))
    print()
    print("calls     attempted %6d   completed %6d   failed %6d" % (attempted, done, failed))
    total = sum(per) or 1
    print("backend   address        calls   share   weight share")
    for i, (addr, n) in enumerate(zip(E.BACKENDS, per)):
        print("b%d        %-13s %6d  %5.1f%%   %5.1f%%" % (i + 1, addr, n, 100.0 * n / total,
                                                         100.0 * WEIGHTS[i] / sum(WEIGHTS)))
    print("siplb     requests in %d, to backends %d, responses relayed %d, in-dialog %d"
          % (stats["vips"][0]["msgs"], sum(b["msgs"] for b in stats["backends"]),
             stats["responses"]["msgs"], stats["in_dialog"]["msgs"]))
    drops = {k: v for k, v in stats["drops"].items() if v}
    print("          drops %s, replies %s" % (drops or "none",
                                              {k: v for k, v in stats["replies"].items() if v}
                                              or "none"))
    ok = rc == 0 and failed == 0 and done == calls
    print("\nresult: %s" % ("every call completed" if ok else "CALLS FAILED (SIPp exit %d)" % rc))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
