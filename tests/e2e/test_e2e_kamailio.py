#!/usr/bin/env python3
"""End to end behind real stateful proxies: two Kamailio instances (Debian's
kamailio, tests/e2e/kamailio.cfg: tm, record_route, loose_route, sanity
checks, registrar) are siplb's backends (proxy mode, af_xdp) and relay to
one SIPp UAS. Through siplb: basic calls, a BYE from the callee, CANCEL of
a ringing call, re-INVITEs from both ends, REGISTER (answered by
Kamailio), OPTIONS, and calls while one Kamailio is drained.

Every call completes; every message of a call (requests and the replies
Kamailio relays, as its log shows by Call-ID) is at one Kamailio; both
take calls; no request fails Kamailio's sanity checks (which a request
made to fail them shows to be on); siplb-dp drops nothing. Each Kamailio
runs in the foreground in its backend's namespace with its own config,
runtime dir and pid file, and is stopped by PID.

usage: test_e2e_kamailio.py BUILD_DIR
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

check = E.check
CFG = os.path.join(E.HERE, "kamailio.cfg")
PROXIES = {"b1": E.BACKENDS[0], "b2": E.BACKENDS[1]}
UAS = {"uas": "192.0.2.30"}

# uas: the UAS scenario (None: Kamailio answers); want: the requests each
# call must bring to its Kamailio at least; hold_ms: the callers' pause
# (-d) in the dialog; during: what happens while the calls run (Env ->
# anything, kept as the phase's "during").
Phase = collections.namedtuple("Phase", "name uas uac calls rate want hold_ms during",
                               defaults=(100, None))
CALL = {"INVITE": 1, "ACK": 1, "BYE": 1}


def drain_second(env):
    """Kamailio 2 drained (weight 0) a second into calls of 2 s: siplb's
    Record-Route keeps their in-dialog requests on it. Returns when."""
    time.sleep(1)
    env.reconfigure((50, 0))
    return time.time()


PHASES = [
    Phase("basic", "uas.xml", "uac.xml", 200, 100, CALL),
    Phase("callee-bye", "uas_bye.xml", "uac_wait_bye.xml", 50, 50, CALL),
    Phase("cancel", "uas_cancel.xml", "uac_cancel.xml", 50, 50,
          {"INVITE": 1, "CANCEL": 1, "ACK": 1}),
    Phase("reinvite", "uas_reinvite.xml", "uac_reinvite.xml", 50, 50,
          {"INVITE": 3, "ACK": 3, "BYE": 1}),
    Phase("register", None, "uac_register.xml", 50, 50, {"REGISTER": 2}),
    Phase("options", "uas_options.xml", "uac_options.xml", 50, 50, {"OPTIONS": 1}),
    Phase("drain", "uas.xml", "uac.xml", 100, 50, CALL, 2000, drain_second),
]

REQ = re.compile(r"slb-req (\S+) (\S+) from (\S+)")
RPL = re.compile(r"slb-rpl (\d+) (\S+) (\S+) from (\S+)")
# what Kamailio says when it finds a message it cannot take
COMPLAINT = re.compile(r"slb-insane|slb-noroute|sanity|ERROR|CRITICAL")


def listening(env, host, addr):
    r = subprocess.run(["ip", "netns", "exec", env.ns(host), "ss", "-Hlun", "sport = :5060"],
                       capture_output=True, text=True)
    return addr + ":5060" in r.stdout


def start_kamailio(env, host, addr):
    """kamailio -DD (no daemon: the process spawned is the main one, which
    stops its workers on SIGTERM) -E (log to stderr, into the test's log)."""
    run = os.path.join(env.work, "kamailio-" + host)
    os.makedirs(run)
    proc = env.spawn(host, ["kamailio", "-DD", "-E", "-f", CFG, "-l", "udp:%s:5060" % addr,
                            "-A", 'UAS="sip:%s:5060"' % UAS["uas"], "-Y", run,
                            "-P", os.path.join(run, "kamailio.pid"), "-w", run,
                            "-m", "32", "-M", "8"], "kamailio-" + host)
    env.wait_for(lambda: listening(env, host, addr), "kamailio on %s" % addr, proc)
    return proc


def kamailio_seen(env, host):
    """Call-ID -> Counter of the requests this Kamailio logged, and the set
    of Call-IDs of the replies it relayed."""
    reqs, rpls = collections.defaultdict(collections.Counter), set()
    for line in env.log("kamailio-" + host).splitlines():
        m = REQ.search(line)
        if m:
            reqs[m.group(2)][m.group(1)] += 1
        m = RPL.search(line)
        if m:
            rpls.add(m.group(3))
    return reqs, rpls


def run_phase(env, phase):
    """Runs one scenario pair to completion; returns its Call-IDs, the
    time each call's INVITE was sent, and what phase.during returned."""
    start = time.time()
    if phase.uas:
        env.start_backends(phase.uas, phase.name, hosts=UAS)
    # a call waiting 10 s for a message has failed: the phase ends early
    tag = "uac-" + phase.name
    proc = env.run_uac(phase.uac, phase.calls, phase.rate,
                       ["-d", str(phase.hold_ms), "-recv_timeout", "10000"], tag=tag,
                       timeout=30, wait=False)
    during = phase.during(env) if phase.during else None
    rc, st = env.uac_result(proc, tag, 60)
    env.stop(phase.name)
    done, failed = int(st.get("SuccessfulCall(C)", 0)), int(st.get("FailedCall(C)", -1))
    check(rc == 0 and done == phase.calls and failed == 0,
          "%s: %d calls, %d completed, %d failed (SIPp exit %d, %.1f s)"
          % (phase.name, phase.calls, done, failed, rc, time.time() - start))
    sent = E.traced_messages(os.path.join(env.work, tag, "msg.log"), "sent")
    invites = {}
    for t, tok, cid, _ in sent:
        if tok == "INVITE":
            invites.setdefault(cid, stamp(t))
    return {cid for _, _, cid, _ in sent}, invites, during


def stamp(t):
    """Seconds since the epoch of a SIPp trace time (local time)."""
    whole, frac = t.split(".")
    return time.mktime(time.strptime(whole, "%Y-%m-%d %H:%M:%S")) + float("0." + frac)


def check_phase(phase, cids, seen):
    """Each call of the phase at one Kamailio, with all of its requests."""
    name, want = phase.name, phase.want
    where = {cid: [h for h, (reqs, rpls) in seen.items() if cid in reqs or cid in rpls]
             for cid in cids}
    split = sorted(c for c, hs in where.items() if len(hs) != 1)
    check(not split, "%s: every message of a call at one Kamailio (%d calls at none or both%s)"
          % (name, len(split), ": " + ", ".join(split[:3]) if split else ""))
    short = sorted(c for c, hs in where.items() if len(hs) == 1 and
                   any(seen[hs[0]][0][c][m] < n for m, n in want.items()))
    check(not short, "%s: each call's %s reached its Kamailio (%d calls short%s)"
          % (name, "/".join(want), len(short), ": " + ", ".join(short[:3]) if short else ""))
    per = collections.Counter(hs[0] for hs in where.values() if len(hs) == 1)
    check(all(per[h] > 0 for h in PROXIES), "%s: calls per Kamailio %s"
          % (name, ", ".join("%s %d" % (PROXIES[h], per[h]) for h in PROXIES)))
    return per


def check_drained(invites, drained_at, seen):
    """No call began on the drained Kamailio 2 after the drain (its calls
    from before ended there: check_phase)."""
    on2 = {c: t for c, t in invites.items() if c in seen["b2"][0]}
    late = sorted(c for c, t in on2.items() if t > drained_at + 0.5)
    check(on2 and not late, "drain: %d calls on Kamailio 2 began before the drain, %d after"
          % (len(on2) - len(late), len(late)))


def check_logs(env):
    for host, addr in PROXIES.items():
        bad = [l for l in env.log("kamailio-" + host).splitlines() if COMPLAINT.search(l)]
        check(not bad, "Kamailio %s: no sanity failure, no error (%d lines%s)"
              % (addr, len(bad), ": " + " | ".join(bad[:3]) if bad else ""))


def check_sanity_is_on(env):
    """After check_logs: a request the sanity checks refuse gets its 400
    through siplb, and Kamailio's log says so."""
    rc, st = env.run_uac("uac_insane.xml", 1, 1, tag="uac-insane", timeout=10)
    logged = [PROXIES[h] for h in PROXIES if "slb-insane OPTIONS" in env.log("kamailio-" + h)]
    check(rc == 0 and len(logged) == 1, "a request failing the sanity checks: 400 (SIPp exit "
          "%d), logged by %s" % (rc, logged or "no Kamailio"))


def check_siplb(env, before, after):
    """siplb-dp dropped nothing: every response Kamailio sent had siplb's Via."""
    drops = {k: v - before["drops"].get(k, 0) for k, v in after["drops"].items()}
    check(not any(drops.values()), "siplb-dp dropped nothing (%s)"
          % ", ".join("%s %d" % kv for kv in sorted(drops.items()) if kv[1]))


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    if not shutil.which("kamailio"):
        print("skipped: kamailio is not installed (./deps.sh installs it)")
        return 77
    with E.Env(build, "af_xdp", weights=(50, 50), hosts=UAS) as env:
        for host, addr in PROXIES.items():
            start_kamailio(env, host, addr)
        before = env.stats()
        results = [(phase, run_phase(env, phase)) for phase in PHASES]
        after = env.stats()
        seen = {h: kamailio_seen(env, h) for h in PROXIES}
        total = collections.Counter()
        for phase, (cids, invites, during) in results:
            total += check_phase(phase, cids, seen)
            if phase.during is drain_second:
                check_drained(invites, during, seen)
        print("calls per Kamailio: %s" % ", ".join("%s %d" % (PROXIES[h], total[h])
                                                   for h in PROXIES))
        check_siplb(env, before, after)
        check_logs(env)
        check_sanity_is_on(env)
    print("e2e kamailio: %d failures" % len(E.FAILURES))
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
