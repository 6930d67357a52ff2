#!/usr/bin/env python3
"""Reconfiguration under load loses nothing (issue: the control plane).

While a steady stream of SIP requests goes through siplb-dp (to VIP :5070,
counted by a sink on every backend) and SIPp calls run through VIP :5060,
siplbctl adds a backend, re-weights one, drains one, removes it once its
calls are over, and reloads a changed config file. Every request sent must
be counted at a backend, every call must complete, and every message of a
call must reach the backend its INVITE reached.

usage: test_e2e_reconfig.py BUILD_DIR
"""
import collections
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

NEW = "192.0.2.24"
check, failures = E.check, E.FAILURES


class ReconfEnv(E.Env):
    """Two VIPs on the same backends: SIPp calls on :5060, the stream on :5070."""

    def write_config(self, weights, addrs=E.BACKENDS):
        port = "net_af_xdp0" if self.driver == "af_xdp" else "net_af_packet0"
        pool = lambda p: ",\n".join('      { address = "%s"; port = %d; weight = %d; }'
                                     % (a, p, w) for a, w in zip(addrs, weights))
        with open(self.conf + ".new", "w") as f:
            f.write("""bpffs = "%s";
branch_seed = "0x5eedc0de";
control = { socket = "%s/siplbd.sock"; };
metrics = { port = 0; };
dataplane = { ports = ( { name = "%s"; iface = "lb"; address = "%s"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "%s"; port = 5060; pool = "core"; },
         { name = "load"; address = "%s"; port = 5070; pool = "load"; } );
pools = ( { name = "core"; backends = (
%s
    ); },
  { name = "load"; backends = (
%s
    ); } );
""" % (self.bpffs, self.work, port, E.SIPLB, E.VIP, E.VIP, pool(5060), pool(5070)))
        os.replace(self.conf + ".new", self.conf)


def sinks(env, hosts):
    return {a: env.spawn(h, E.sink_cmd(env.tool, a, 5070, 90, 3000), "sink-" + h)
            for h, a in hosts}


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    with ReconfEnv(build, "af_xdp", (50, 30, 20)) as env:
        subprocess.run(["sh", "-c", ". %s/topo.sh; topo_host %s b4 %s" % (E.HERE, env.p, NEW)],
                       check=True)
        dirs = env.start_backends("uas.xml", "rc")
        d4 = os.path.join(env.work, "rc-b4")
        os.makedirs(d4, exist_ok=True)
        env.spawn("b4", ["sipp", "-sf", os.path.join(E.SCENARIOS, "uas.xml"), "-i", NEW,
                         "-p", "5060", "-nostdin", "-trace_msg", "-message_file",
                         os.path.join(d4, "msg.log"), "-timeout", "300s"], "rc-b4", cwd=d4)
        dirs.append(d4)
        hosts = [("b%d" % i, a) for i, a in enumerate(E.BACKENDS + [NEW], 1)]
        sink = sinks(env, hosts)
        time.sleep(1)
        gen0 = env.generation()

        flood = env.spawn("cl", [env.tool("bench/sip-flood"), E.VIP, "5070", "5090", "28000",
                                 "20", "2000"], "flood")
        calls = threading.Thread(target=lambda: results.update(zip(
            ("rc", "st"), env.run_uac("uac.xml", 200, 20, ["-d", "3000"], tag="uac-rc",
                                      timeout=90))))
        results = {}
        calls.start()
        t0 = time.time()
        steps = [
            (2, "add backend 4", [("backend", "add", "core", NEW, "--weight", "20"),
                                  ("backend", "add", "load", NEW + ":5070", "--weight", "20")]),
            (4, "re-weight backend 1", [("backend", "set", "core", E.BACKENDS[0], "--weight", "10"),
                                        ("backend", "set", "load", E.BACKENDS[0] + ":5070",
                                         "--weight", "10")]),
            (6, "drain backend 2", [("backend", "drain", "core", E.BACKENDS[1]),
                                    ("backend", "drain", "load", E.BACKENDS[1] + ":5070")]),
            (11, "remove backend 2 (its calls are over)",
             [("backend", "remove", "core", E.BACKENDS[1]),
              ("backend", "remove", "load", E.BACKENDS[1] + ":5070")]),
        ]
        marks = {}
        for at, what, cmds in steps:
            time.sleep(max(0, t0 + at - time.time()))
            marks[what] = time.time()
            check(all(env.ctl(*c) == 0 for c in cmds), "%s at t=%ds" % (what, at))
        time.sleep(max(0, t0 + 13 - time.time()))
        # The file now says what the operator did: backend 2 gone, backend 4
        # in; the run-time weights stay over the file's (docs/siplbd.md,
        # "Runtime state": the overrides the file now matches are dropped).
        env.write_config((40, 30, 30), [E.BACKENDS[0], E.BACKENDS[2], NEW])
        check(env.ctl("config", "reload") == 0, "config reload at t=13s")
        marks["reload"] = time.time()

        flood.wait(60)
        calls.join(120)
        sent = int(re.search(r"sent (\d+)", env.log("flood")).group(1))
        got = {}
        for a, p in sink.items():
            p.wait(60)
            m = re.search(r"received (\d+)", env.log("sink-" + dict((a, h) for h, a in hosts)[a]))
            got[a] = int(m.group(1)) if m else 0
        env.stop("rc")
        stats = env.stats()
        # the traces live in the work dir, which goes with the environment
        per = [E.traced_messages(os.path.join(d, "msg.log")) for d in dirs]

    check(sent == 28000 and sum(got.values()) == sent,
          "steady stream: %d sent, %d counted at the backends %s (zero loss)"
          % (sent, sum(got.values()), got))
    drops = {k: v for k, v in stats["drops"].items() if v}
    check(not drops, "siplb-dp dropped nothing (%s)" % (drops or "none"))
    check(got[NEW] > 0, "the added backend takes its share of the stream (%d)" % got[NEW])
    st = results.get("st", {})
    check(results.get("rc") == 0 and int(st.get("SuccessfulCall(C)", 0)) == 200 and
          int(st.get("FailedCall(C)", -1)) == 0,
          "200 calls during the changes: %s completed, %s failed"
          % (st.get("SuccessfulCall(C)"), st.get("FailedCall(C)")))
    where = collections.defaultdict(set)
    for i, msgs in enumerate(per):
        for _, tok, cid, _ in msgs:
            where[cid].add(i)
    split = [c for c, b in where.items() if len(b) > 1]
    check(not split, "in-dialog messages stayed on their call's backend (%d calls split)"
          % len(split))
    stamp = lambda t: time.mktime(time.strptime(t.split(".")[0], "%Y-%m-%d %H:%M:%S"))
    drained = marks["drain backend 2"]
    late = [c for t, tok, c, _ in per[1] if tok == "INVITE" and stamp(t) > drained + 1]
    check(not late, "no new call on the drained backend (%d INVITEs after)" % len(late))
    inv2 = {c for t, tok, c, _ in per[1] if tok == "INVITE"}
    bye2 = {c for t, tok, c, _ in per[1] if tok == "BYE"}
    check(inv2 and inv2 <= bye2, "its calls ended there: %d of %d BYEs"
          % (len(inv2 & bye2), len(inv2)))
    check(any(tok == "INVITE" for _, tok, _, _ in per[3]), "new calls reach the added backend")
    check(stats["generation"] >= gen0 + 9, "one generation per change (%d -> %d)"
          % (gen0, stats["generation"]))
    print("e2e reconfiguration under load: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
