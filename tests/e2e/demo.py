#!/usr/bin/env python3
"""The README's demo: siplb in its own namespaces (a client, siplb, three
backends) on its default config with health checks, SIPp calls through the
VIP in three rounds: all backends up; backend 2 failed (its SIPp stopped:
siplb's OPTIONS probes take it out, calls go to the others); backend 2 back
(the probes bring it in again). Then a summary and a clean-up.

usage: demo.py BUILD_DIR [CALLS] [RATE]
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

WEIGHTS = (50, 30, 20)
FAILING = 1  # backend 2


class DemoEnv(E.Env):
    """The default config plus health checks, a control socket of its own."""

    def write_config(self, weights):
        backends = ",\n".join('      { address = "%s"; port = 5060; weight = %d; }' % (a, w)
                              for a, w in zip(E.BACKENDS, weights))
        with open(self.conf + ".new", "w") as f:
            f.write("""bpffs = "%s";
branch_seed = "0x5eedc0de";
control = { socket = "%s/siplbd.sock"; };
metrics = { port = 0; };
dataplane = { ports = ( { name = "net_af_xdp0"; iface = "lb"; address = "%s"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "%s"; port = 5060; pool = "core"; } );
pools = ( { name = "core";
    probing = { interval = 1; timeout = 1; rise = 2; fall = 3; };
    backends = (
%s
    ); } );
""" % (self.bpffs, self.work, E.SIPLB, E.VIP, backends))
        os.replace(self.conf + ".new", self.conf)

    def states(self):
        r = subprocess.run([self.tool("control/siplbctl/siplbctl"), "--socket",
                            os.path.join(self.work, "siplbd.sock"), "--json", "backend", "list"],
                           capture_output=True, text=True, timeout=20)
        return {b["address"]: b["state"] for b in json.loads(r.stdout or "{}").get("backends", [])}

    def wait_state(self, addr, state, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.states().get(addr) == state:
                return time.time() - t0
            time.sleep(0.1)
        raise RuntimeError("%s never became %s" % (addr, state))


def calls_per_backend(dirs, since_call_ids):
    per = []
    for d in dirs:
        msgs = E.traced_messages(os.path.join(d, "msg.log"))
        per.append(len({c for _, t, c, _ in msgs if t == "INVITE"} - since_call_ids))
    return per


def run_round(env, name, calls, rate, totals):
    rc, st = env.run_uac("uac.xml", calls, rate, ["-d", "1000", "-l", str(rate * 4)],
                         timeout=calls // rate + 60, tag="demo-" + name.replace(" ", "-"))
    for k in ("TotalCallCreated", "SuccessfulCall(C)", "FailedCall(C)"):
        totals[k] = totals.get(k, 0) + int(st.get(k, 0))
    totals["rc"] = totals.get("rc", 0) or rc
    print("  %-22s %5s calls, %5s completed, %s failed" % (name, st.get("TotalCallCreated"),
                                                          st.get("SuccessfulCall(C)"),
                                                          st.get("FailedCall(C)")), flush=True)


def main():
    build = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    per_round = calls // 3
    addr = E.BACKENDS[FAILING]
    print("siplb demo: client %s -> VIP %s:5060 -> backends %s (weights %s)"
          % (E.CLIENT, E.VIP, ", ".join(E.BACKENDS), "/".join(map(str, WEIGHTS))))
    print("starting namespaces, siplbd (OPTIONS probes every 1 s) and siplb-dp (af_xdp) ...",
          flush=True)
    totals, timeline = {}, []
    with DemoEnv(build, "af_xdp", WEIGHTS, prefix="slbdemo") as env:
        dirs = env.start_backends("uas_options.xml", "demo")
        for a in E.BACKENDS:
            env.wait_state(a, "up")
        print("all backends up; %d calls per round (INVITE/ACK/BYE, 1 s each) at %d calls/s"
              % (per_round, rate), flush=True)
        run_round(env, "all up", per_round, rate, totals)

        env.stop("demo-b%d" % (FAILING + 1))
        took = took_down = env.wait_state(addr, "down")
        timeline.append("backend 2 (%s) stopped: siplb marked it down after %.1f s" % (addr, took))
        print("  " + timeline[-1], flush=True)
        before = {c for d in dirs[FAILING:FAILING + 1]
                  for _, t, c, _ in E.traced_messages(os.path.join(d, "msg.log"))}
        run_round(env, "backend 2 down", per_round, rate, totals)
        during = calls_per_backend(dirs[FAILING:FAILING + 1], before)[0]

        d = dirs[FAILING]
        env.spawn("b%d" % (FAILING + 1), ["sipp", "-sf", os.path.join(E.SCENARIOS, "uas_options.xml"),
                                         "-i", addr, "-p", "5060", "-nostdin", "-trace_msg",
                                         "-message_file", os.path.join(d, "msg2.log"),
                                         "-timeout", "300s"], "demo-b2-again", cwd=d)
        took = took_up = env.wait_state(addr, "up")
        timeline.append("backend 2 restarted: siplb took it back after %.1f s (probing, then up)"
                        % took)
        print("  " + timeline[-1], flush=True)
        run_round(env, "backend 2 back", calls - 2 * per_round, rate, totals)
        env.stop("demo")
        stats = env.stats()
        per = calls_per_backend(dirs, set())
        per[FAILING] += len({c for _, t, c, _ in E.traced_messages(os.path.join(d, "msg2.log"))
                             if t == "INVITE"})
    attempted, done = totals["TotalCallCreated"], totals["SuccessfulCall(C)"]
    failed = totals["FailedCall(C)"]
    print()
    print("calls     attempted %6d   completed %6d   failed %6d" % (attempted, done, failed))
    total = sum(per) or 1
    print("backend   address        calls   share   weight share   (all three rounds)")
    for i, (a, n) in enumerate(zip(E.BACKENDS, per)):
        print("b%d        %-13s %6d  %5.1f%%   %5.1f%%" % (i + 1, a, n, 100.0 * n / total,
                                                         100.0 * WEIGHTS[i] / sum(WEIGHTS)))
    print("          (backend 2 took %d calls while it was down)" % during)
    for t in timeline:
        print("health    " + t)
    print("siplb     requests in %d, to backends %d, responses relayed %d, in-dialog %d"
          % (stats["vips"][0]["msgs"], sum(b["msgs"] for b in stats["backends"]),
             stats["responses"]["msgs"], stats["in_dialog"]["msgs"]))
    drops = {k: v for k, v in stats["drops"].items() if v}
    print("          drops %s, replies %s" % (drops or "none",
                                              {k: v for k, v in stats["replies"].items() if v}
                                              or "none"))
    # down within interval x fall (+ the probe timeout, + scheduling slack),
    # up within interval x rise (+ slack): probing every 1 s, fall 3, rise 2
    in_time = took_down <= 3 * 1 + 1 + 0.5 and took_up <= 2 * 1 + 0.5
    ok = totals["rc"] == 0 and failed == 0 and done == calls and during == 0 and in_time
    print("\nresult: %s" % ("every call completed" if ok else
                            "CALLS FAILED" if failed or done != calls else
                            "HEALTH CHECKS TOO SLOW OR A CALL WENT TO THE FAILED BACKEND"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
