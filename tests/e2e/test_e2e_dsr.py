#!/usr/bin/env python3
"""End to end, DSR, in namespaces (DESIGN.md "Test topology"): siplbd alone
(no siplb-dp) attaches siplb's XDP program to siplb's interface; a DSR VIP
with three backends (weights 50/30/20) that own the VIP on lo and
decapsulate IPIP or GUE; SIPp callers and SIPp backends bound to the VIP,
answering the caller directly. Every load is bounded in calls and time.

usage: test_e2e_dsr.py BUILD_DIR ipip|gue [CALLS]
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

check = E.check
WEIGHTS = (50, 30, 20)


def calls_basic(env, calls):
    """uac.xml has no route set here (DSR adds no Record-Route): ACK and BYE
    go to the 200's Contact, the VIP, and the Call-ID hash brings them to
    the backend that has the call."""
    dirs = env.start_backends("uas.xml", "basic", bind=E.VIP)
    before, lb_before = env.stats(), env.link_stats("lb", "lb")
    ctl_before = listed(env)
    rc, st = env.run_uac("uac.xml", calls, 200, ["-d", "100", "-l", "400"], tag="uac-basic")
    env.stop("basic")
    after, lb_after = env.stats(), env.link_stats("lb", "lb")
    ok_calls, failed = int(st.get("SuccessfulCall(C)", 0)), int(st.get("FailedCall(C)", -1))
    check(rc == 0 and ok_calls == calls and failed == 0,
          "%d calls: %d completed, %d failed (SIPp exit %d)" % (calls, ok_calls, failed, rc))
    seen = E.check_calls(dirs, WEIGHTS)

    d = E.xdp_delta(before, after)
    sent = len(E.traced_messages(os.path.join(env.work, "uac-basic", "msg.log"), "sent"))
    check(d["vips"].get("sip") == sent == d["verdicts"]["dsr"],
          "XDP: %d packets to the VIP, %d DSR verdicts; the caller sent %d requests"
          % (d["vips"].get("sip", 0), d["verdicts"]["dsr"], sent))
    lost = {k: v for k, v in list(d["pass"].items()) + list(d["drop"].items())
            if v and k not in ("not_ip", "not_udp")}
    check(not lost, "XDP: no SIP to the VIP passed to the kernel or dropped (%s)" % lost)
    for i, addr in enumerate(E.BACKENDS):
        got = len(seen[i])
        check(d["backends"].get(addr) == got,
              "XDP: backend %d: %s packets encapsulated to it, its UAS received %d"
              % (i + 1, d["backends"].get(addr), got))
    # siplbctl vip list / backend list count DSR messages as they count
    # siplb-dp's (MSGS), from the same XDP counters.
    ctl_after = listed(env)
    grew = {k: ctl_after[k] - ctl_before.get(k, 0) for k in ctl_after}
    want = {"sip": sent}
    want.update({addr: d["backends"].get(addr) for addr in E.BACKENDS})
    check(all(grew.get(k) == v for k, v in want.items()),
          "siplbctl vip list / backend list MSGS grew by %s, want %s" % (grew, want))
    # The responses go from the backends to the caller, not through siplb:
    # siplb's interface received the requests and little else (ARP).
    rx = lb_after["rx"]["packets"] - lb_before["rx"]["packets"]
    check(sent <= rx <= sent + 50,
          "responses bypass siplb: its interface received %d frames for %d requests" % (rx, sent))


def listed(env):
    """MSGS of siplbctl --json vip list (by VIP name) and backend list (by
    address)."""
    out = {}
    for what, key, name in (("vip", "vips", "name"), ("backend", "backends", "address")):
        r = subprocess.run([env.tool("control/siplbctl/siplbctl"), "--socket",
                            os.path.join(env.work, "siplbd.sock"), "--json", what, "list"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "siplbctl %s list: %s" % (what, r.stderr))
        for o in json.loads(r.stdout or "{}").get(key, []):
            out[o[name]] = o["msgs"]
    return out


def dialog_flow(env, uas, uac, what, calls=50):
    """A SIPp caller/backend scenario pair, run to completion."""
    tag = uas.split(".")[0]
    env.start_backends(uas, tag, bind=E.VIP)
    rc, st = env.run_uac(uac, calls, 25, tag="uac-" + tag, timeout=60)
    env.stop(tag)
    check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == calls,
          "%s (%d calls, SIPp exit %d)" % (what, calls, rc))


def siplbd_restart(env):
    """The program keeps forwarding while siplbd is down (it stays attached
    with the last generation and next hops); a new siplbd keeps it."""
    gen = env.calls_without_siplbd(bind=E.VIP)
    env.restart_siplbd(lambda: "xdp: " in env.log("siplbd-2") and env.generation() > gen)
    check(env.generation() == gen + 1 and "xdp: kept XDP program" in env.log("siplbd-2"),
          "a restarted siplbd publishes generation %d after %d and keeps the program on lb"
          % (env.generation(), gen))


def main():
    build, encap = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    with E.Env(build, None, WEIGHTS, prefix="sdsr%d" % (os.getpid() % 100000), mode="dsr",
               encap=encap) as env:
        print("backends decapsulate %s with %s" % (
            encap, "the kernel's tunnel device" if env.decap == "kernel"
            else "an XDP program (tests/e2e/dsr_decap.bpf.c)"), flush=True)
        try:
            calls_basic(env, calls)
            dialog_flow(env, "uas_bye.xml", "uac_wait_bye.xml",
                        "a BYE sent by the callee reaches the caller, its 200 the callee")
            dialog_flow(env, "uas_cancel.xml", "uac_cancel.xml",
                        "CANCEL of a ringing call reaches the backend that has the call")
            siplbd_restart(env)
        finally:
            print(json.dumps(env.stats().get("xdp"), sort_keys=True)[:2000])
    print("e2e dsr (%s): %d failures" % (encap, len(E.FAILURES)))
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
