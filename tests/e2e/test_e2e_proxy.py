#!/usr/bin/env python3
"""End to end, proxy mode, in namespaces (DESIGN.md "Test topology"):
SIPp callers and SIPp backends through siplbd + siplb-dp on af_xdp or
af_packet. Every load is bounded in calls and time.

usage: test_e2e_proxy.py BUILD_DIR af_xdp|af_packet [CALLS]
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

check, failures = E.check, E.FAILURES
WEIGHTS = (50, 30, 20)


def probe(env, text, sport, copies=1, wait=1.5, host="cl"):
    r = subprocess.run(["ip", "netns", "exec", env.ns(host), sys.executable,
                        os.path.join(E.HERE, "sip_probe.py"), E.VIP, "5060", str(sport),
                        str(wait), str(copies)], input=text, capture_output=True, text=True,
                       timeout=wait + 10)
    return [json.loads(l) for l in r.stdout.splitlines()]


per_backend = E.per_backend


def calls_basic(env, calls):
    dirs = env.start_backends("uas.xml", "basic")
    rc, st = env.run_uac("uac.xml", calls, 200, ["-d", "100", "-l", "400"], tag="uac-basic")
    env.stop("basic")
    ok_calls, failed = int(st.get("SuccessfulCall(C)", 0)), int(st.get("FailedCall(C)", -1))
    check(rc == 0 and ok_calls == calls and failed == 0,
          "%d calls: %d completed, %d failed (SIPp exit %d)" % (calls, ok_calls, failed, rc))
    E.check_calls(dirs, WEIGHTS)


def dialog_flow(env, uas, uac, what, calls=50):
    """A SIPp caller/backend scenario pair, run to completion."""
    tag = uas.split(".")[0]
    env.start_backends(uas, tag)
    rc, st = env.run_uac(uac, calls, 25, tag="uac-" + tag, timeout=60)
    env.stop(tag)
    check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == calls,
          "%s (%d calls, SIPp exit %d)" % (what, calls, rc))


INVITE = """INVITE sip:bob@192.0.2.100 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:%(port)d;branch=z9hG4bK%(branch)s;rport
Max-Forwards: %(mf)d
From: <sip:alice@192.0.2.10>;tag=a1
To: <sip:bob@192.0.2.100>
Call-ID: %(cid)s
CSeq: 1 INVITE
Contact: <sip:alice@192.0.2.10:%(port)d>
Content-Length: 0

"""


def retransmission(env):
    dirs = env.start_backends("uas.xml", "retx")
    probe(env, INVITE % dict(port=5070, branch="retx1", mf=70, cid="retx-%d" % os.getpid()),
          5070, copies=2, wait=1.0)
    env.stop("retx")
    got = [(i, body) for i, msgs in per_backend(dirs).items()
           for _, tok, cid, body in msgs if tok == "INVITE" and cid.startswith("retx-")]
    branches = {re.search(r"branch=(z9hG4bKslb\w+)", b).group(1) for _, b in got
                if re.search(r"branch=(z9hG4bKslb\w+)", b)}
    check(len(got) == 2 and len({i for i, _ in got}) == 1 and len(branches) == 1,
          "a retransmitted INVITE reaches the same backend with the same branch "
          "(%d copies at backends %s, branches %s)" % (len(got), sorted({i + 1 for i, _ in got}),
                                                       sorted(branches)))


def replies_and_drops(env):
    r = probe(env, INVITE % dict(port=5071, branch="mf0", mf=0, cid="mf0"), 5071)
    check(len(r) == 1 and r[0]["text"].startswith("SIP/2.0 483 "),
          "483 at Max-Forwards 0 (%s)" % [x["text"].split("\r\n")[0] for x in r])
    before = env.stats()
    r = probe(env, "INVITE sip:x SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10\nCSeq: 1 INVITE\n\n",
              5072, wait=0.5)
    after = env.stats()
    check(not r and after["drops"]["malformed"] == before["drops"]["malformed"] + 1,
          "malformed input dropped and counted (malformed %d -> %d)"
          % (before["drops"]["malformed"], after["drops"]["malformed"]))
    ping = subprocess.run(["ip", "netns", "exec", env.ns("cl"), "ping", "-c", "2", "-W", "1",
                           "-i", "0.2", E.SIPLB], capture_output=True)
    check(ping.returncode == 0, "the kernel still answers ping on siplb's interface")


ECHO_SERVER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(20)
print("listening", flush=True)
c, _ = s.accept()
c.settimeout(5)
c.sendall(c.recv(1024).upper())
c.close()
"""

ECHO_CLIENT = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.sendall(b"siplb tcp check")
print(c.recv(1024).decode())
"""


UDP_COUNTER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.2)
print("listening", flush=True)
n, end = 0, time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        s.recv(65535)
        n += 1
    except socket.timeout:
        pass
print("received", n, flush=True)
"""

FORGED = """SIP/2.0 %(status)s
Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bKslb%(rest)s
Via: SIP/2.0/UDP 192.0.2.23:9;branch=z9hG4bKvictim
From: <sip:a@192.0.2.10>;tag=1
To: <sip:b@192.0.2.100>;tag=2
Call-ID: forged-%(n)d
CSeq: 1 INVITE
Content-Length: 0

"""


def forged_responses(env):
    """Issue 8's attacks from a client: responses with our Via prefix over a
    second Via naming a host that is no client (192.0.2.23 port 9), and
    503s naming each backend id, 20 a second for 3 s. Nothing reaches the
    target, every one is dropped and counted, no backend's response
    counters (passive health's only input) move."""
    sink = env.spawn("b3", [sys.executable, "-c", UDP_COUNTER, E.BACKENDS[2], "9", "5"],
                     "port9")
    env.wait_for(lambda: "listening" in env.log("port9"), "the port 9 counter", sink)
    before = env.stats()
    sent = 0
    for n in range(60):
        rest = ("XXXX-0" if n % 3 == 0 else
                "%016x%016x-%d" % (n * 7919, n * 104729, n % len(E.BACKENDS)))
        status = "200 OK" if n % 3 == 0 else "503 Service Unavailable"
        probe(env, FORGED % dict(status=status, rest=rest, n=n), 5080 + n % 4, wait=0)
        sent += 1
        time.sleep(0.05)
    sink.wait(20)
    after = env.stats()
    got = int(re.search(r"received (\d+)", env.log("port9")).group(1))
    dropped = sum(after["drops"][k] - before["drops"][k] for k in ("not_ours", "bad_mac"))
    moved = [b["id"] for b, a in zip(before["backends"], after["backends"])
             if (b["responses"], b["finals"], b["503"]) != (a["responses"], a["finals"], a["503"])]
    check(got == 0, "forged responses relayed to 192.0.2.23:9: %d of %d" % (got, sent))
    check(dropped == sent, "forged responses dropped as not_ours/bad_mac: %d of %d"
          % (dropped, sent))
    check(not moved, "no backend's response counters moved (%s)" % moved)


def xdp_kernel_path(env):
    """af_xdp: siplb's XDP program sends TCP to the kernel (not_udp): a TCP
    connection to a listener in siplb's namespace works."""
    before = env.stats()
    server = env.spawn("lb", [sys.executable, "-c", ECHO_SERVER, E.SIPLB, "2222"], "tcp-echo")
    env.wait_for(lambda: "listening" in env.log("tcp-echo"), "the TCP listener", server)
    r = subprocess.run(["ip", "netns", "exec", env.ns("cl"), sys.executable, "-c", ECHO_CLIENT,
                        E.SIPLB, "2222"], capture_output=True, text=True, timeout=20)
    server.wait(20)
    d = E.xdp_delta(before, env.stats())
    check(r.returncode == 0 and r.stdout.strip() == "SIPLB TCP CHECK",
          "TCP from the client to a listener on siplb's interface (port 2222): %r"
          % (r.stdout.strip() or r.stderr.strip()[-200:]))
    check(d["pass"]["not_udp"] >= 4, "XDP passed the connection's %d segments to the kernel "
          "(not_udp)" % d["pass"]["not_udp"])


def xdp_steering(env, before, after):
    """af_xdp: the SIP of calls_basic went through siplb's XDP program to
    siplb-dp's socket: every packet to the VIP steered, none left behind."""
    d = E.xdp_delta(before, after)
    vip = d["vips"].get("sip", 0)
    check(vip > 0 and d["verdicts"]["steer"] == vip and d["pass"]["no_steer"] == 0,
          "XDP steered %d packets to siplb-dp, %d to the VIP (no_steer %d)"
          % (d["verdicts"]["steer"], vip, d["pass"]["no_steer"]))


def siplbd_restart(env):
    """siplb-dp keeps forwarding on the last published state while siplbd is
    down, and a new siplbd takes over the generation count and the ids."""
    gen = env.calls_without_siplbd()
    env.restart_siplbd(lambda: env.generation() > gen)
    check(env.generation() == gen + 1, "a restarted siplbd publishes generation %d after %d"
          % (env.generation(), gen))


def pool_change(env):
    dirs = env.start_backends("uas.xml", "change")
    uac = env.spawn("cl", ["sipp", "-sf", os.path.join(E.SCENARIOS, "uac.xml"), E.VIP + ":5060",
                           "-i", E.CLIENT, "-p", "5063", "-m", "300", "-r", "50", "-d", "3000",
                           "-nostdin", "-trace_stat", "-stf", os.path.join(env.work, "chg.csv"),
                           "-timeout", "60s"], "uac-change")
    time.sleep(2.5)
    env.reconfigure((60, 40, 0))  # re-weight, and drain backend 3 (weight 0)
    drained_at = time.time()
    uac.wait(90)
    env.stop("change")
    st = E.sipp_counts(os.path.join(env.work, "chg.csv"))
    check(uac.returncode == 0 and int(st.get("FailedCall(C)", -1)) == 0 and
          int(st.get("SuccessfulCall(C)", 0)) == 300,
          "calls during re-weight and drain: %s completed, %s failed" %
          (st.get("SuccessfulCall(C)"), st.get("FailedCall(C)")))
    b3 = per_backend(dirs)[2]
    stamp = lambda t: time.mktime(time.strptime(t.split(".")[0], "%Y-%m-%d %H:%M:%S"))
    late = [c for t, tok, c, _ in b3 if tok == "INVITE" and stamp(t) > drained_at + 1]
    early = {c for t, tok, c, _ in b3 if tok == "INVITE"}
    byes = {c for t, tok, c, _ in b3 if tok == "BYE"}
    check(not late, "no new call on the drained backend (%d INVITEs after the drain)" % len(late))
    check(early and early <= byes, "calls up on the drained backend ended there: %d of %d BYEs"
          % (len(early & byes), len(early)))


def all_down(env):
    env.reconfigure((0, 0, 0))
    r = probe(env, INVITE % dict(port=5073, branch="nb", mf=70, cid="nobody"), 5073)
    text = r[0]["text"] if r else ""
    check(text.startswith("SIP/2.0 503 ") and "Retry-After:" in text,
          "503 with Retry-After when no backend is up")


def main():
    build, driver = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    with E.Env(build, driver, WEIGHTS) as env:
        try:
            before = env.stats()
            calls_basic(env, calls)
            if driver == "af_xdp":
                xdp_steering(env, before, env.stats())
                xdp_kernel_path(env)
            dialog_flow(env, "uas_bye.xml", "uac_wait_bye.xml",
                        "a BYE sent by the callee reaches the caller")
            dialog_flow(env, "uas_cancel.xml", "uac_cancel.xml", "CANCEL of a ringing call works")
            retransmission(env)
            replies_and_drops(env)
            forged_responses(env)
            siplbd_restart(env)
            pool_change(env)
            all_down(env)
        finally:
            print(json.dumps(env.stats(), sort_keys=True)[:2000])
    print("e2e proxy (%s): %d failures" % (driver, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
