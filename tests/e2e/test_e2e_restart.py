#!/usr/bin/env python3
"""A crash is followed by a restart with the same command, as a supervisor
(systemd's Restart=always) does it, and SIP is not lost for long.

While SIPp calls go through VIP :5060 and a steady stream of numbered SIP
requests (1000 a second) goes through VIP :5070 to a timestamping sink on
every backend, three cases, one after the other:

  siplb-dp  kill -9 of siplb-dp, the same command started at once: it takes
            over its reader slot (the dead owner's pid) and the interface
            (the XDP program the dead one left) on the first attempt;
  siplbd    kill -9 of siplbd, the same command started at once: forwarding
            does not stop, nothing of the stream is lost;
  both      both killed, both started at once;
  queue held  kill -9 of siplb-dp, and another AF_XDP socket (xsk_hold.c)
            bound to the queue before the same command starts, as the
            killed one's socket is until the kernel's deferred release:
            the start waits for the queue before the PMD sets it up and
            takes over once the holder lets go (dataplane/app/xsk_queue.c).

For each: the forwarding gap (from the kill to the first message forwarded
after the longest silence of the stream around it), the stream messages
lost, and SIPp's calls (every one must complete: retransmissions cover the
gap). Then: a second siplb-dp on the same maps is refused while the first
runs, which keeps its XDP program; a placeholder left on the interface is
removed at start; a program that is not siplb's is refused by name and
stays; an interface in siplbd's xdp.interfaces is refused.

usage: test_e2e_restart.py BUILD_DIR
       test_e2e_restart.py --send ADDR PORT RATE SECONDS   (in a namespace)
       test_e2e_restart.py --sink ADDR PORT OUT_FILE       (in a namespace)
"""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402
from test_e2e_reconfig import ReconfEnv  # noqa: E402  VIP "load" :5070 on the backends' :5070

RATE = 1000          # stream messages per second
GAP_MAX_MS = 3000    # what a restart of siplb-dp may cost (docs/dataplane.md)
KERNEL_MAX = 10      # datagrams the kernel may answer in a restart: the guards leave it none
                    # (docs/dataplane.md, The start's guards); 10 for stray UDP
CASE_SECS = 10       # one case: calls start, kill at +2.5 s, calls end
check = E.check

MSG = ("INVITE sip:restart@192.0.2.100:5070 SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 192.0.2.10:5091;branch=z9hG4bK-rs-%(n)d;rport\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:stream@192.0.2.10>;tag=%(n)d\r\n"
       "To: <sip:restart@192.0.2.100>\r\nCall-ID: restart-%(n)d@192.0.2.10\r\n"
       "CSeq: 1 INVITE\r\nContact: <sip:stream@192.0.2.10:5091>\r\n"
       "Content-Length: 0\r\n\r\n")


# -- the stream, each end in its own namespace ---------------------------------
def send(addr, port, rate, secs):
    """Message n leaves at t0 + n / rate (CLOCK_MONOTONIC, the same in every
    namespace) until SIGTERM or secs; prints t0 first and the count at the
    end."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((E.CLIENT, 5091))
    t0, n = time.monotonic(), 0
    print("t0 %.6f" % t0, flush=True)
    while not stop and time.monotonic() - t0 < secs:
        due = int((time.monotonic() - t0) * rate)
        while n < due:
            s.sendto((MSG % dict(n=n)).encode(), (addr, port))
            n += 1
        time.sleep(0.0005)
    print("sent %d" % n, flush=True)


def sink(addr, port, out):
    """Writes "time seq" per message received, until 3 s without one (after
    the first) or 120 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # past rmem_max (root): a sink the scheduler holds back must not drop
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 8 << 20)
    s.bind((addr, port))
    s.settimeout(0.2)
    got, start = [], time.monotonic()
    print("ready", flush=True)
    while time.monotonic() - start < 120:
        try:
            data = s.recv(65535)
        except socket.timeout:
            if got and time.monotonic() - got[-1][0] > 3:
                break
            continue
        m = re.search(rb"Call-ID: restart-(\d+)@", data)
        if m:
            got.append((time.monotonic(), int(m.group(1))))
    with open(out, "w") as f:
        f.writelines("%.6f %d\n" % g for g in got)
    print("received %d" % len(got), flush=True)


# -- the cases -----------------------------------------------------------------
def kill9(proc):
    """SIGKILL; returns when the process is gone (CLOCK_MONOTONIC)."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return time.monotonic()


def start_dp(env, n):
    """The identical command, once: a restart that fails is a failure."""
    env.dp = env.spawn("lb", env.dp_cmd(), "siplb-dp-%d" % n)
    env.wait_for(lambda: "forwarding" in env.log("siplb-dp-%d" % n),
                 "restarted siplb-dp (%d) forwarding" % n, env.dp)


def start_siplbd(env, n, gen):
    env.siplbd = env.spawn("lb", [env.tool("control/siplbd"), "--config", env.conf,
                                  "--bpffs", env.bpffs], "siplbd-%d" % n)
    env.wait_for(lambda: env.generation() > gen, "restarted siplbd (%d) publishing" % n,
                 env.siplbd)


def crash_dp(env, n):
    t = kill9(env.dp)
    start_dp(env, n)
    return t


def crash_siplbd(env, n):
    gen = env.generation()
    t = kill9(env.siplbd)
    start_siplbd(env, n, gen)
    return t


def crash_dp_queue_held(env, n):
    """kill -9 of siplb-dp, then another AF_XDP socket takes the queue
    before the same command starts (as the killed one's own socket holds it
    until the kernel's deferred release runs): the start must retry the
    queue's set-up, not give up, and take over once the holder lets go.
    The holder lets go once the start says it waits."""
    t = kill9(env.dp)
    holder = env.spawn("lb", [env.tool("tests/e2e/xsk_hold"), "lb", "0"], "xsk-hold-%d" % n)
    env.wait_for(lambda: "held lb 0" in env.log("xsk-hold-%d" % n), "the queue held", holder)
    env.dp = env.spawn("lb", env.dp_cmd(), "siplb-dp-%d" % n)
    env.wait_for(lambda: "is held by another AF_XDP socket" in env.log("siplb-dp-%d" % n),
                 "siplb-dp's start waiting for the held queue", env.dp)
    holder.send_signal(signal.SIGTERM)
    holder.wait(10)
    env.wait_for(lambda: "forwarding" in env.log("siplb-dp-%d" % n),
                 "restarted siplb-dp (%d) forwarding" % n, env.dp)
    log = env.log("siplb-dp-%d" % n)
    m = re.search(r"queue 0 of lb free after (\d+) ms \((\d+) probes\)", log)
    check(m is not None and int(m.group(2)) > 1 and "Failed to create xsk socket" not in log,
          "queue held: siplb-dp waited for the queue (%s) and set it up on the first attempt"
          % ("%s ms, %s probes" % m.groups() if m else "no wait logged"))
    return t


def crash_both(env, n):
    gen = env.generation()
    t = kill9(env.dp)
    kill9(env.siplbd)
    env.siplbd = env.spawn("lb", [env.tool("control/siplbd"), "--config", env.conf,
                                  "--bpffs", env.bpffs], "siplbd-%d" % n)
    start_dp(env, n)
    env.wait_for(lambda: env.generation() > gen, "restarted siplbd (%d) publishing" % n,
                 env.siplbd)
    return t


def udp_mib(env, name):
    """A UDP counter of the kernel in siplb's namespace: NoPorts, datagrams
    to a port nobody listens on (each answered with ICMP port unreachable);
    InErrors, among others those siplb-dp's guard sockets dropped unanswered
    while it started (dataplane/app/kernel.c)."""
    snmp = E.sh("ip netns exec %s cat /proc/net/snmp" % env.ns("lb")).stdout
    rows = [l.split()[1:] for l in snmp.splitlines() if l.startswith("Udp:")]
    return int(dict(zip(rows[0], rows[1]))[name])


def run_case(env, backends, name, crash, n):
    """Calls through the crash and restart (backends: the SIPp backends'
    work dirs); returns what the case measured."""
    noports, guarded = udp_mib(env, "NoPorts"), udp_mib(env, "InErrors")
    before = env.stats()
    uac = env.run_uac("uac.xml", 160, 20, ["-d", "1000", "-trace_err"], tag="uac-" + name,
                      timeout=60, wait=False)
    time.sleep(2.5)
    t_kill = time.monotonic()  # the time of death, once crash says it
    try:
        t_kill = crash(env, n)
        up = time.monotonic() - t_kill
    except RuntimeError as e:
        print(e, flush=True)
        up = None
    check(up is not None, "%s: killed, and the same command took over at once (%s ms)"
          % (name, "%.0f" % (up * 1000) if up is not None else "-"))
    rc, st = env.uac_result(uac, "uac-" + name, 120)
    xdp = E.xdp_delta(before, env.stats())
    why = {k: v for k, v in st.items() if k.startswith("Failed") and k.endswith("(C)")
           and v not in ("", "0")}
    errors = glob.glob(os.path.join(env.work, "uac-" + name, "*_errors.log"))
    if why and errors:  # what SIPp says of its failed calls, for the log
        why["errors"] = sipp_warnings(errors[0])
        why["calls"] = failed_call_traces(os.path.join(env.work, "uac-" + name), backends,
                                          why["errors"])
    return dict(name=name, t_kill=t_kill, up_ms=-1 if up is None else up * 1000, rc=rc,
                ok=int(st.get("SuccessfulCall(C)", 0)), failed=int(st.get("FailedCall(C)", -1)),
                retrans=int(st.get("Retransmissions(C)", 0)), why=why,
                noports=udp_mib(env, "NoPorts") - noports,
                guarded=udp_mib(env, "InErrors") - guarded,
                xdp={k: {r: v for r, v in xdp[k].items() if v} for k in ("pass", "drop")})


def sipp_warnings(path):
    """SIPp's -trace_err log, shortened: each warning's own line (what the
    call expected, at which scenario index) with the first line, Call-ID and
    CSeq of the message it quotes. The quoted message spans many lines, so
    the log's tail alone does not say what was expected."""
    keep = re.compile(r"expecting|Aborting|Aborted|unexpected|^(SIP/2\.0 |[A-Z]+ sip)|"
                      r"^(Call-ID|CSeq|Via):", re.I)
    with open(path, errors="replace") as f:
        lines = [l.strip()[:220] for l in f if keep.search(l.strip())]
    return " | ".join(lines[-12:])


def failed_call_traces(uac_dir, backend_dirs, warnings):
    """Each call SIPp names in its warnings, as the UAC and the backends
    traced it: time, who, direction, first line and CSeq of every message."""
    cids = set(re.findall(r"Call-I[dD][ :']+([^' |]+)", warnings))
    events = {cid: [] for cid in cids}
    traces = [("uac", uac_dir)] + [("b%d" % i, d) for i, d in enumerate(backend_dirs, 1)]
    for who, d in traces:
        for way in ("sent", "received"):
            for t, tok, cid, body in E.traced_messages(os.path.join(d, "msg.log"), way):
                if cid in events:
                    cseq = re.search(r"CSeq: *(\d+ \w+)", body)
                    events[cid].append("%s %s %s %s %s" % (t.split()[-1], who, way[0], tok,
                                                           cseq.group(1) if cseq else "?"))
    return ["%s: %s" % (cid, "; ".join(sorted(e))) for cid, e in sorted(events.items())]


def stream_figures(case, arrivals, t0, lost_seqs):
    """The gap: from the kill to the first message sent after it that a
    backend received; the longest silence at the backends from just before
    the kill to the end of the case; the messages sent then that were lost."""
    lo, hi = case["t_kill"] - 0.2, case["t_kill"] + CASE_SECS - 2.5
    after = [t for t, s in arrivals if t0 + s / RATE >= case["t_kill"]]
    case["gap_ms"] = ((min(after) if after else hi) - case["t_kill"]) * 1000
    ts = [t for t, _ in arrivals if lo <= t <= hi]
    case["silence_ms"] = max([b - a for a, b in zip(ts, ts[1:])] or [hi - lo]) * 1000
    case["lost"] = sum(1 for s in lost_seqs if lo <= t0 + s / RATE <= hi)


def report(case):
    print("     %(name)s: forwarding gap %(gap_ms).0f ms (longest silence %(silence_ms).0f ms), "
          "%(lost)d stream messages lost, calls %(ok)d completed / %(failed)d failed "
          "(%(retrans)d retransmissions; failed: %(why)s), restarted process ready after "
          "%(up_ms).0f ms, %(noports)d SIP "
          "datagrams reached the kernel with no listener, %(guarded)d dropped unanswered by the "
          "start's guard sockets; XDP %(xdp)s" % case, flush=True)


# -- start-up cases --------------------------------------------------------------
def xdp_prog(env):
    """The id of the XDP program on siplb's interface, or None."""
    m = re.search(r"prog/xdp id (\d+)", E.sh("ip -n %s link show dev lb" % env.ns("lb")).stdout)
    return m and int(m.group(1))


def reader0(env):
    """(heartbeat_ns, pid) of reader slot 0 (struct slb_reader in state.h,
    at byte 64 of struct slb_control)."""
    out = E.sh("bpftool -j map lookup pinned %s/control key 0 0 0 0" % env.bpffs).stdout
    b = bytes(int(x, 16) for x in json.loads(out)["value"][64:84])
    return int.from_bytes(b[8:16], "little"), int.from_bytes(b[16:20], "little")


def second_dp_refused(env):
    """The same maps and lcore, another DPDK file prefix: refused by the
    reader slot of the running one (its pid is alive), which keeps its slot
    and its XDP program (EAL's cleanup would close the port the refused one
    never started, and the af_xdp PMD's close detaches any program)."""
    prog = xdp_prog(env)
    cmd = env.dp_cmd()
    cmd[cmd.index("--file-prefix") + 1] += "x"
    r = subprocess.run(["ip", "netns", "exec", env.ns("lb")] + cmd, capture_output=True,
                       text=True, timeout=60)
    check(r.returncode != 0 and "in use by pid %d" % env.dp.pid in r.stderr,
          "a second siplb-dp on the same maps is refused while the first runs: %s"
          % (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1])
    check(env.dp.poll() is None and prog and xdp_prog(env) == prog,
          "the first siplb-dp still runs, with its XDP program (%s, now %s)"
          % (prog, xdp_prog(env)))


def left_programs(env):
    """After a clean stop: a placeholder left on the interface (a siplb-dp
    killed between the PMD's start and the take-over) is removed; a
    program that is not siplb's is refused by name and left in place."""
    env.dp.send_signal(signal.SIGTERM)
    env.dp.wait(10)
    ns = env.ns("lb")
    E.sh("ip -n %s link set dev lb xdpdrv obj %s sec xdp"
         % (ns, env.tool("bpf/xdp_steer.o")))
    start_dp(env, 90)
    check(re.search(r"detached XDP program \d+ from lb .*left by a siplb-dp",
                    env.log("siplb-dp-90")) is not None,
          "a placeholder left on the interface is detached at start")
    env.dp.send_signal(signal.SIGTERM)
    env.dp.wait(10)
    E.sh("ip -n %s link set dev lb xdpdrv obj %s sec xdp"
         % (ns, env.tool("tests/e2e/xdp_pass.o")))
    p = subprocess.Popen(["ip", "netns", "exec", ns] + env.dp_cmd(), text=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.communicate(timeout=60)[1]
    check(p.returncode != 0 and "which is not siplb's" in err and "xdp_pass" in err,
          "another program on the interface is refused by name: %s"
          % (err.strip().splitlines() or ["exit %d" % p.returncode])[-1])
    check(xdp_prog(env) is not None, "and left in place")
    check(reader0(env) == (0, p.pid), "the failed start left the reader slot it claimed "
          "(heartbeat, pid: %s; its pid %d): the XDP program does not hold SIP for it"
          % (reader0(env), p.pid))
    E.sh("ip -n %s link set dev lb xdpdrv off" % ns)
    siplbds_interface(env)


def siplbds_interface(env):
    """A port whose interface only the PMD names (iface= of the vdev), listed
    in xdp.interfaces: siplbd's, so siplb-dp refuses it (the config can
    check only the ports that name theirs)."""
    with open(env.conf) as f:
        text = f.read().replace('iface = "lb"; ', "")
    conf = env.conf + ".siplbd-lb"
    with open(conf, "w") as f:
        f.write(text + 'xdp = { interfaces = ( "lb" ); };\n')
    cmd = env.dp_cmd()
    cmd[cmd.index("--config") + 1] = conf
    r = subprocess.run(["ip", "netns", "exec", env.ns("lb")] + cmd, capture_output=True,
                       text=True, timeout=60)
    check(r.returncode != 0 and "lb is in xdp.interfaces" in r.stderr and xdp_prog(env) is None,
          "an interface in xdp.interfaces is refused as siplbd's: %s"
          % (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1])


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    me = os.path.abspath(__file__)
    with ReconfEnv(build, "af_xdp", (50, 30, 20)) as env:
        backends = env.start_backends("uas.xml", "rs")
        sinks = []
        for i, a in enumerate(E.BACKENDS, 1):
            out = os.path.join(env.work, "arrivals-b%d" % i)
            sinks.append(out)
            env.spawn("b%d" % i, ["python3", me, "--sink", a, "5070", out], "sink-b%d" % i)
        env.wait_for(lambda: all("ready" in env.log("sink-b%d" % i) for i in (1, 2, 3)),
                     "sinks ready")
        sender = env.spawn("cl", ["python3", me, "--send", E.VIP, "5070", str(RATE),
                                  "90"], "stream")
        time.sleep(1)
        cases = [run_case(env, backends, name, crash, n) for n, (name, crash) in enumerate(
            (("siplb-dp", crash_dp), ("siplbd", crash_siplbd), ("both", crash_both),
             ("queue held", crash_dp_queue_held)), 2)]
        second_dp_refused(env)
        time.sleep(1)
        sender.send_signal(signal.SIGTERM)
        sender.wait(10)
        arrivals = []
        for i, out in enumerate(sinks, 1):
            env.wait_for(lambda: "received" in env.log("sink-b%d" % i), "sink %d done" % i)
            with open(out) as f:
                arrivals += [(float(t), int(s)) for t, s in (l.split() for l in f)]
        arrivals.sort()
        t0 = float(re.search(r"t0 ([\d.]+)", env.log("stream")).group(1))
        sent = int(re.search(r"sent (\d+)", env.log("stream")).group(1))
        lost = set(range(sent)) - {s for _, s in arrivals}
        left_programs(env)
        print(json.dumps(env.stats().get("drops", {}), sort_keys=True), flush=True)

    print("     stream: %d sent, %d received, %d lost" % (sent, sent - len(lost), len(lost)))
    for c in cases:
        stream_figures(c, arrivals, t0, lost)
        report(c)
        check(c["rc"] == 0 and c["failed"] == 0 and c["ok"] == 160,
              "%s: every call completed (%d of 160, %d failed)" % (c["name"], c["ok"], c["failed"]))
    dp, ctl, both, held = cases
    for c in (dp, both, held):
        check(c["gap_ms"] < GAP_MAX_MS, "%s: forwarding back %.0f ms after the kill (bound %d ms)"
              % (c["name"], c["gap_ms"], GAP_MAX_MS))
        check(c["noports"] < KERNEL_MAX, "%s: SIP held, not answered by the kernel (%d datagrams "
              "reached it between two programs; bound %d)" % (c["name"], c["noports"],
                                                                   KERNEL_MAX))
    check(ctl["lost"] == 0, "siplbd: forwarding did not stop (%d stream messages lost, longest "
          "silence %.0f ms)" % (ctl["lost"], ctl["silence_ms"]))
    print("e2e restart after kill -9: %d failures" % len(E.FAILURES))
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--sink":
        sink(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(main())
