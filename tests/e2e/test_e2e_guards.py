#!/usr/bin/env python3
"""On an af_packet port the kernel gets a copy of every frame, and the VIP is
its own address (it answers ARP for it): without a socket there it answers
every SIP datagram with ICMP port unreachable, which fails the client's
transaction (RFC 3261 §18.4) although siplb-dp forwards the datagram. So
siplb-dp keeps a never-read "guard" socket on every proxy VIP; this test
checks that the guards follow reloads: a VIP a reload adds gets one (the
kernel answers none of its SIP), a VIP a reload removes gives its up.
Then an RFC 5626 keep-alive on the same VIP: a STUN Binding request from
the client is answered by siplb-dp with the client's address and port as
XOR-MAPPED-ADDRESS (dataplane/stun.c), and the kernel answers none.

usage: test_e2e_guards.py BUILD_DIR
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

check = E.check
PORT = 5070       # the VIP the reload adds
HELD = 5080       # a VIP whose port another program holds
MESSAGES = 50

SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5093))
for n in range(int(sys.argv[4])):
    s.sendto((
        "OPTIONS sip:guard@%s:%s SIP/2.0\\r\\n"
        "Via: SIP/2.0/UDP %s:5093;branch=z9hG4bK-guard-%d;rport\\r\\n"
        "Max-Forwards: 70\\r\\nFrom: <sip:guard@%s>;tag=%d\\r\\n"
        "To: <sip:guard@%s>\\r\\nCall-ID: guard-%d@%s\\r\\nCSeq: 1 OPTIONS\\r\\n"
        "Content-Length: 0\\r\\n\\r\\n" % (sys.argv[2], sys.argv[3], sys.argv[1], n,
        sys.argv[1], n, sys.argv[2], n, sys.argv[1])).encode(), (sys.argv[2], int(sys.argv[3])))
"""


def udp_mib(env, name):
    """A UDP counter of the kernel in siplb's namespace (NoPorts: datagrams
    to a port nobody listens on, each answered with ICMP port unreachable)."""
    snmp = E.sh("ip netns exec %s cat /proc/net/snmp" % env.ns("lb")).stdout
    rows = [l.split()[1:] for l in snmp.splitlines() if l.startswith("Udp:")]
    return int(dict(zip(rows[0], rows[1]))[name])


def guarded(env, port):
    """Whether a UDP socket is bound to the VIP's port in siplb's namespace."""
    out = E.sh("ip netns exec %s ss -Hunl" % env.ns("lb")).stdout
    return re.search(r"\s%s:%d\s" % (re.escape(E.VIP), port), out) is not None


def wait_guard(env, port, present):
    deadline = time.time() + 10
    while time.time() < deadline and guarded(env, port) != present:
        time.sleep(0.1)
    return guarded(env, port) == present


def send(env, port):
    subprocess.run(["ip", "netns", "exec", env.ns("cl"), "python3", "-c", SEND, E.CLIENT,
                    E.VIP, str(port), str(MESSAGES)], check=True, timeout=30)
    time.sleep(0.5)  # the kernel's answers, if any, are counted by then


STUN = """
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5094))
s.settimeout(2)
tx = os.urandom(12)
s.sendto(struct.pack(">HHI", 1, 0, 0x2112A442) + tx, (sys.argv[2], int(sys.argv[3])))
r, peer = s.recvfrom(2048)
typ, n, cookie = struct.unpack(">HHI", r[:8])
assert typ == 0x0101 and cookie == 0x2112A442 and r[8:20] == tx and len(r) == 20 + n, r
i = 20
while i < len(r):
    t, l = struct.unpack(">HH", r[i:i + 4])
    if t == 0x0020:
        port = struct.unpack(">H", r[i + 6:i + 8])[0] ^ 0x2112
        addr = struct.unpack(">I", r[i + 8:i + 12])[0] ^ 0x2112A442
        print("mapped %s:%d from %s:%d" % (socket.inet_ntoa(struct.pack(">I", addr)), port,
                                           peer[0], peer[1]))
    i += 4 + (l + 3) // 4 * 4
"""


def stun_keepalive(env):
    before = udp_mib(env, "NoPorts")
    r = subprocess.run(["ip", "netns", "exec", env.ns("cl"), "python3", "-c", STUN, E.CLIENT,
                        E.VIP, "5060"], capture_output=True, text=True, timeout=30)
    want = "mapped %s:5094 from %s:5060" % (E.CLIENT, E.VIP)
    check(r.returncode == 0 and r.stdout.strip() == want,
          "a STUN Binding request to the VIP is answered from the VIP with the client's "
          "address (%s)" % (r.stdout.strip() or r.stderr.strip().splitlines()[-1:]))
    time.sleep(0.5)
    check(udp_mib(env, "NoPorts") == before, "and the kernel answers none")


def held_port(env):
    """A VIP whose port another program holds: forwarded, its guard tried
    again with each generation but the warning said once; once the port is
    free, the next generation guards it."""
    other = env.spawn("lb", ["python3", "-c", "import socket, time; s = socket.socket("
                             "socket.AF_INET, socket.SOCK_DGRAM); s.bind(('%s', %d)); "
                             "print('bound', flush=True); time.sleep(60)" % (E.VIP, HELD)],
                      "other-program")
    env.wait_for(lambda: "bound" in env.log("other-program"), "another program on :%d" % HELD)
    vips = [dict(name="load", port=PORT), dict(name="held", port=HELD)]
    for weights in ((50, 30, 20), (40, 40, 20)):  # two generations with the held VIP
        env.reconfigure(weights=weights, vips=vips)
    time.sleep(0.5)
    warned = env.log("siplb-dp").count("VIP held %s:%d: kernel socket" % (E.VIP, HELD))
    check(warned == 1, "a VIP whose port another program holds: warned once over two "
          "generations (%d)" % warned)
    other.kill()
    other.wait()
    env.reconfigure(weights=(50, 30, 20), vips=vips)
    check(wait_guard(env, HELD, True) and "VIP held guarded" in env.log("siplb-dp"),
          "once the port is free, the next generation guards it")


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs)")
        return 77
    with E.Env(build, "af_packet") as env:
        check(guarded(env, 5060) and not guarded(env, PORT),
              "at start: a guard on the VIP's :5060, none on :%d (no VIP there yet)" % PORT)
        before = udp_mib(env, "NoPorts")
        send(env, PORT)
        unguarded = udp_mib(env, "NoPorts") - before
        check(unguarded >= MESSAGES, "without a VIP on :%d the kernel answers its SIP (%d of "
              "%d datagrams; the test's reference)" % (PORT, unguarded, MESSAGES))

        env.reconfigure(vips=[dict(name="load", port=PORT)])
        check(wait_guard(env, PORT, True), "a reload adds VIP :%d: siplb-dp opens its guard"
              % PORT)
        before = udp_mib(env, "NoPorts")
        send(env, PORT)
        answered = udp_mib(env, "NoPorts") - before
        check(answered == 0, "its SIP is not answered by the kernel (%d of %d datagrams)"
              % (answered, MESSAGES))
        check(guarded(env, 5060), "the guard of VIP :5060 stays")

        held_port(env)

        env.reconfigure(vips=[])
        check(wait_guard(env, PORT, False), "a reload removes VIP :%d: its guard is closed"
              % PORT)
        check(guarded(env, 5060) and env.dp.poll() is None,
              "VIP :5060 keeps its guard, siplb-dp runs on")
        stun_keepalive(env)
    print("e2e af_packet guards and STUN keep-alives: %d failures" % len(E.FAILURES))
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
