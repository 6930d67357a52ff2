#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""siplbd's XDP side in network namespaces of its own.

  test_xdp_ns.py SIPLBD HELPER PLACEHOLDER_O

Two namespaces, lb (siplbd) and be (a DSR backend, and the gateway to
another), joined by a veth pair lb0 -- be0; no veth end in the root
namespace. The namespaces and the bpffs (under /run) get names unique to
this run and are removed at the end, also on failure.

  next hops   siplbd resolves the MACs of its DSR backends (on-link, behind
              a gateway, IPv6) into the nexthop map, follows a neighbour
              that changes (replaced entry, new MAC, deleted entry), an MTU
              change and a backend that goes, and logs an unresolvable one.
  attach      siplbd attaches the program natively to xdp.interfaces, a new
              start keeps it, one on new maps replaces it, SIGTERM leaves it,
              --detach removes it, a foreign program is refused (start and
              --detach), mode "generic" attaches in generic mode.
  take-over   siplb-dp's path, through HELPER: the af_xdp PMD's placeholder
              replaced by siplb's program with the PMD's xsks_map.
  counters    siplbd --stats shows what the attached program counted.
  other host  both loaders record lb0's MAC in port_mac; SIP to the VIP in
              a frame to another MAC is passed untouched (other_host).
  rules       a reload gives the DSR VIP a drop rule on be's address: siplbd
              offloads it to XDP (docs/rules.md, "In XDP"), be's requests are
              dropped in XDP (drop rule) and counted as the rule's hits; a
              reload without it lets them through again.

Needs root, ip, bpftool; exits 77 (skip) without them.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import Failure, expect, wait_until  # noqa: E402

SKIP = 77
P = f"slbx{os.getpid()}"
LB, BE = P + "-lb", P + "-be"
BE_MAC = "02:00:5e:10:00:02"


def sh(*args, check=True, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check and p.returncode:
        raise Failure(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    return p


def topology():
    sh("ip", "netns", "add", LB)
    sh("ip", "netns", "add", BE)
    sh("ip", "-n", LB, "link", "add", "lb0", "type", "veth", "peer", "name", "be0",
       "netns", BE)
    sh("ip", "-n", BE, "link", "set", "be0", "address", BE_MAC)
    for ns, dev, a4, a6 in ((LB, "lb0", "198.51.100.1/24", "2001:db8:5::1/64"),
                            (BE, "be0", "198.51.100.2/24", "2001:db8:5::2/64")):
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "addr", "add", a4, "dev", dev)
        sh("ip", "-n", ns, "addr", "add", a6, "dev", dev, "nodad")
    # a backend behind a gateway (be), and the way back to the VIP
    sh("ip", "-n", LB, "route", "add", "203.0.113.0/24", "via", "198.51.100.2")
    sh("ip", "-n", BE, "route", "add", "192.0.2.0/24", "via", "198.51.100.1")
    sh("ethtool", "-K", "be0", "tx", "off", ns=BE, check=False)


def link(ns, dev):
    return json.loads(sh("ip", "-n", ns, "-j", "link", "show", dev).stdout)[0]


def xdp_of(dev="lb0"):
    """(mode, program id, name): mode 1 native, 2 generic; (0, 0, '') for none."""
    x = link(LB, dev).get("xdp")
    if not x or "prog" not in x:
        return 0, 0, ""
    return x["mode"], x["prog"]["id"], x["prog"].get("name", "")


CONFIG = """
bpffs = "{bpffs}";
maglev = {{ table_size = 251; capacity = {capacity}; }};
vips = (
  {{ name = "dsr4"; address = "192.0.2.101"; port = 5060; mode = "dsr"; pool = "edge4";{rules} }},
  {{ name = "dsr6"; address = "2001:db8::101"; port = 5060; mode = "dsr"; pool = "edge6"; }}
);
pools = (
  {{ name = "edge4"; backends = (
      {{ address = "198.51.100.2"; port = 5060; weight = 1; }},
      {{ address = "198.51.100.3"; port = 5060; weight = 1; }}{gw_backend}
  ); }},
  {{ name = "edge6"; backends = ( {{ address = "2001:db8:5::2"; port = 5060; weight = 1; }} ); }}
);
dsr = {{ source = "198.51.100.1"; source6 = "2001:db8:5::1"; }};
xdp = {{ interfaces = ( "lb0" ); mode = "{mode}"; }};
control = {{ socket = "{tmp}/ctl/siplbd.sock"; }};
"""
GW_BACKEND = ',\n      { address = "203.0.113.7"; port = 5060; weight = 1; }'


class Env:
    def __init__(self, siplbd, helper, placeholder, tmp, bpffs):
        self.siplbd, self.helper, self.placeholder = siplbd, helper, placeholder
        self.tmp, self.bpffs = tmp, bpffs
        self.conf = os.path.join(tmp, "siplb.conf")
        self.daemon = None

    def write(self, capacity=1000, mode="native", gw=True, rules=""):
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(bpffs=self.bpffs, capacity=capacity, mode=mode,
                                  gw_backend=GW_BACKEND if gw else "", tmp=self.tmp,
                                  rules=rules))

    def siplbd_run(self, *args):
        return sh(self.siplbd, "--config", self.conf, *args, ns=LB, check=False)

    def start(self):
        self.log_path = os.path.join(self.tmp, "siplbd.log")
        self.log = open(self.log_path, "w")
        self.daemon = subprocess.Popen(["ip", "netns", "exec", LB, self.siplbd, "--config",
                                        self.conf], stderr=self.log)
        self.wait_log(r"running \(pid")

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, seconds=10):
        def found():
            expect(self.daemon.poll() is None, f"siplbd exited:\n{self.text()}")
            return re.search(pattern, self.text())
        try:
            return wait_until(found, seconds, f"/{pattern}/ in the log")
        except Failure as e:
            raise Failure(f"{e}:\n{self.text()}")

    def stop(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            self.daemon.wait(timeout=10)
            self.log.close()
        return self.daemon.returncode

    def stats(self):
        p = sh(self.siplbd, "--bpffs", self.bpffs, "--stats", "--json", ns=LB)
        return json.loads(p.stdout)

    def ids(self):
        return {b["address"]: b["id"] for b in self.stats()["backends"]}

    def nexthops(self):
        """backend id -> (dst MAC, src MAC, ifindex, mtu) of the entries set in
        the pinned map."""
        out = sh("bpftool", "-j", "map", "dump", "pinned", os.path.join(self.bpffs, "nexthop"))
        hops = {}
        for e in json.loads(out.stdout):
            k = bytes(int(x, 16) for x in e["key"])
            v = bytes(int(x, 16) for x in e["value"])
            mac = lambda b: ":".join(f"{x:02x}" for x in b)
            ifindex = int.from_bytes(v[12:16], "little")
            if ifindex:  # an array: ifindex 0 is "no entry"
                hops[int.from_bytes(k, "little")] = (mac(v[0:6]), mac(v[6:12]), ifindex,
                                                     int.from_bytes(v[16:18], "little"))
        return hops


def port_mac_slot(env, ifindex):
    """bpftool's words for ifindex's slot in the pinned port_mac map."""
    key = [str(b) for b in (ifindex & 4095).to_bytes(4, "little")]
    return ["pinned", os.path.join(env.bpffs, "port_mac"), "key", *key]


def port_mac(env, ifindex):
    """(ifindex, MAC) of ifindex's slot in the pinned port_mac map."""
    out = sh("bpftool", "-j", "map", "lookup", *port_mac_slot(env, ifindex))
    v = bytes(int(x, 16) for x in json.loads(out.stdout)["value"])
    return int.from_bytes(v[0:4], "little"), ":".join(f"{x:02x}" for x in v[4:10])


def clear_port_mac(env, ifindex):
    sh("bpftool", "map", "update", *port_mac_slot(env, ifindex), "value", *(["0"] * 12))


def send_options(env):
    msg = b"OPTIONS sip:x@192.0.2.101 SIP/2.0\r\nCall-ID: abc@be\r\nContent-Length: 0\r\n\r\n"
    sh("python3", "-c", "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
       f"s.sendto({msg!r}, ('192.0.2.101', 5060))", ns=BE)


def hop_is(env, id_, want):
    return lambda: env.nexthops().get(id_) == want


def test_nexthops(env):
    env.write()
    env.start()
    env.wait_log(r"attached XDP program \d+ to lb0 \(native\)")
    ids = env.ids()
    lb = link(LB, "lb0")
    want = (BE_MAC, lb["address"], lb["ifindex"], 1500)
    for addr in ("198.51.100.2", "203.0.113.7", "2001:db8:5::2"):
        wait_until(hop_is(env, ids[addr], want), 10, f"next hop of {addr}")
    expect(ids["198.51.100.3"] not in env.nexthops(), "an unresolved backend has no entry")
    env.wait_log(r"nexthop backend \d+ 198\.51\.100\.3: MAC of 198\.51\.100\.3 on lb0 not "
                 r"known yet")
    env.wait_log(r"nexthop backend \d+ 203\.0\.113\.7: via 198\.51\.100\.2 dev lb0")

    # the neighbour entry changes: both backends behind it follow
    sh("ip", "-n", LB, "neigh", "replace", "198.51.100.2", "lladdr", "02:00:5e:10:00:99",
       "dev", "lb0", "nud", "permanent")
    fake = ("02:00:5e:10:00:99",) + want[1:]
    for addr in ("198.51.100.2", "203.0.113.7"):
        wait_until(hop_is(env, ids[addr], fake), 5, f"{addr} follows the replaced neighbour")
    # the backend's MAC changes and the kernel forgets the old one: resolved anew
    sh("ip", "-n", BE, "link", "set", "be0", "address", "02:00:5e:10:00:42")
    sh("ip", "-n", LB, "neigh", "del", "198.51.100.2", "dev", "lb0")
    new = ("02:00:5e:10:00:42",) + want[1:]
    wait_until(hop_is(env, ids["198.51.100.2"], new), 5, "the new MAC, through ARP")
    sh("ip", "-n", LB, "link", "set", "lb0", "mtu", "1400")
    wait_until(hop_is(env, ids["198.51.100.2"], new[:3] + (1400,)), 5, "the new MTU")
    # a backend goes: its entry too
    env.write(gw=False)
    env.daemon.send_signal(signal.SIGHUP)
    env.wait_log(r"nexthop backend %d: no longer a backend of a DSR pool; entry removed" %
                 ids["203.0.113.7"])
    expect(ids["203.0.113.7"] not in env.nexthops(), "the entry of a removed backend")
    env.wait_log(r"kept XDP program \d+ on lb0")
    print("next hops: on-link, gateway, IPv6, neighbour change, MAC change, MTU, removal: ok")


def test_counters(env):
    """The program counts what lb0 receives; siplbd --stats sums the CPUs."""
    sh("ping", "-c", "3", "-i", "0.2", "-W", "1", "198.51.100.1", ns=BE)
    send_options(env)
    x = wait_until(lambda: (lambda s: s if s["pass"]["not_udp"] >= 3 and
                            s["verdicts"]["dsr"] + s["verdicts"]["pass"] >= 4 else None)(
        env.stats()["xdp"]), 10, "XDP counters")
    text = sh(env.siplbd, "--bpffs", env.bpffs, "--stats", ns=LB).stdout
    expect(re.search(r"^stats xdp verdicts steer \d+ dsr \d+ pass \d+ drop \d+$", text, re.M) and
           "stats xdp vip dsr6 [2001:db8::101]:5060 pkts " in text, text)
    print(f"counters: verdicts {x['verdicts']}, not_udp {x['pass']['not_udp']}: ok")


def test_other_host(env):
    """siplbd recorded lb0's MAC; a frame to another MAC (a switch flooding
    unknown unicast) goes to the kernel, not to a backend."""
    lb = link(LB, "lb0")
    expect(port_mac(env, lb["ifindex"]) == (lb["ifindex"], lb["address"]),
           f"port_mac of lb0: {port_mac(env, lb['ifindex'])}, lb0 is {lb['address']}")
    before = env.stats()["xdp"]
    sh("ip", "-n", BE, "neigh", "replace", "198.51.100.1", "lladdr", "02:00:5e:10:00:77",
       "dev", "be0", "nud", "permanent")
    send_options(env)
    after = wait_until(lambda: (lambda x: x if x["pass"]["other_host"] >
                       before["pass"]["other_host"] else None)(env.stats()["xdp"]), 10,
                       "other_host counted")
    sh("ip", "-n", BE, "neigh", "del", "198.51.100.1", "dev", "be0")
    expect(after["verdicts"]["dsr"] == before["verdicts"]["dsr"] and
           after["no_port_mac"] == before["no_port_mac"], f"{before} -> {after}")
    print("other host: siplbd's port_mac, a frame to another MAC passed (other_host): ok")


def test_attach(env):
    _, prog, name = xdp_of()
    expect(env.stop() == 0 and "the XDP program stays on lb0 (siplbd --detach removes it)"
           in env.text(), env.text())
    expect(xdp_of() == (1, prog, "siplb_xdp"), f"SIGTERM leaves it: {xdp_of()}")
    p = env.siplbd_run("--once")
    expect(p.returncode == 0 and f"kept XDP program {prog} on lb0 (native)" in p.stderr, p.stderr)
    env.write(capacity=1200, gw=False)  # new maps: the program must move to them
    p = env.siplbd_run("--once")
    m = re.search(rf"replaced XDP program {prog} by (\d+) on lb0 \(native\)", p.stderr)
    expect(p.returncode == 0 and m and xdp_of()[1] == int(m.group(1)), p.stderr)
    p = env.siplbd_run("--detach")
    expect(p.returncode == 0 and f"detached XDP program {m.group(1)} from lb0" in p.stderr and
           xdp_of() == (0, 0, ""), p.stderr)
    p = env.siplbd_run("--detach")
    expect(p.returncode == 0 and "no XDP program on lb0" in p.stderr, p.stderr)

    sh(env.helper, "foreign", "lb0", ns=LB)
    foreign = xdp_of()
    for args in (["--once"], ["--detach"]):
        p = env.siplbd_run(*args)
        expect(p.returncode == 1 and re.search(
            r"lb0 has XDP program \d+ 'foreign_fw' .*which is not siplb's 'siplb_xdp': left in "
            r"place", p.stderr) and xdp_of() == foreign, f"{args}: {p.stderr}")
    sh("ip", "-n", LB, "link", "set", "dev", "lb0", "xdp", "off")

    env.write(capacity=1200, mode="generic", gw=False)
    p = env.siplbd_run("--once")
    expect(p.returncode == 0 and "warning siplbd: xdp: xdp.mode is \"generic\"" in p.stderr and
           re.search(r"attached XDP program \d+ to lb0 \(generic\)", p.stderr) and
           xdp_of()[0] == 2, f"{xdp_of()} {p.stderr}")
    p = env.siplbd_run("--detach")
    expect(p.returncode == 0 and "(generic)" in p.stderr and xdp_of() == (0, 0, ""), p.stderr)
    print("attach: native, kept, replaced, left at exit, --detach, foreign refused, generic: ok")


def test_takeover(env):
    lb = link(LB, "lb0")
    clear_port_mac(env, lb["ifindex"])
    p = sh(env.helper, "takeover", "lb0", env.placeholder, env.bpffs, ns=LB)
    expect("ok: replaced XDP program" in p.stdout and xdp_of() == (0, 0, ""), p.stdout)
    expect(port_mac(env, lb["ifindex"]) == (lb["ifindex"], lb["address"]),
           f"port_mac of lb0 after the take-over: {port_mac(env, lb['ifindex'])}")
    print("take-over (siplb-dp's af_xdp path): " + p.stdout.strip())


DROP_BE = ' rules = ( { match = { source = "198.51.100.0/24"; }; action = "drop"; } );'


def test_rules(env):
    """A source drop rule of the DSR VIP, offloaded by a reload, drops be's
    requests in XDP and counts them for the rule; gone, they pass again."""
    env.write(gw=False, rules=DROP_BE)
    env.daemon.send_signal(signal.SIGHUP)
    env.wait_log(r"kept XDP program \d+ on lb0", seconds=10)
    before = env.stats()
    send_options(env)
    after = wait_until(lambda: (lambda s: s if s["xdp"]["drop"]["rule"] >
                       before["xdp"]["drop"]["rule"] else None)(env.stats()), 10,
                       "drop rule counted")
    hits = [r["hits"] for r in after.get("rules", []) if r.get("vip") == "dsr4"]
    expect(after["xdp"]["verdicts"]["dsr"] == before["xdp"]["verdicts"]["dsr"] and
           hits and hits[0] >= 1, f"dsr {before['xdp']['verdicts']} -> "
           f"{after['xdp']['verdicts']}, the rule's hits {hits}")
    env.write(gw=False)
    env.daemon.send_signal(signal.SIGHUP)
    wait_until(lambda: not [r for r in env.stats().get("rules", []) if r.get("vip") == "dsr4"],
               10, "the rule gone")
    send_options(env)
    wait_until(lambda: (lambda s: s if s["xdp"]["verdicts"]["dsr"] + s["xdp"]["verdicts"]["pass"]
                        > after["xdp"]["verdicts"]["dsr"] + after["xdp"]["verdicts"]["pass"]
                        else None)(env.stats()), 10, "be's request through again")
    expect(env.stats()["xdp"]["drop"]["rule"] == after["xdp"]["drop"]["rule"],
           "no drop after the rule went")
    print(f"rules: a source drop offloaded by a reload, dropped in XDP, {hits[0]} hit(s); "
          "removed: through again: ok")


def main():
    siplbd, helper, placeholder = sys.argv[1:4]
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("bpftool"):
        print("SKIP: needs root, ip and bpftool")
        return SKIP
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="siplb-test-xdp-")
    mnt = tempfile.mkdtemp(prefix="siplb-test-xdp-bpffs-", dir="/run")
    env = Env(siplbd, helper, placeholder, tmp, os.path.join(mnt, "siplb"))
    try:
        sh("mount", "-t", "bpf", "bpf", mnt)
        topology()
        test_nexthops(env)
        test_counters(env)
        test_other_host(env)
        test_rules(env)
        test_attach(env)
        test_takeover(env)
    finally:
        if env.daemon and env.daemon.poll() is None:
            env.daemon.kill()
            env.daemon.wait()
        for ns in (LB, BE):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
        os.rmdir(mnt)
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
