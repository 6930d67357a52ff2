#!/usr/bin/env python3
"""siplb-dp against dpdk-testpmd on the same af_xdp port over veth, same run,
in the test topology's namespaces (tests/e2e/topo.sh): a sendmmsg generator
(sip-flood) in the client namespace sends a bounded flat-out stream of
INVITEs to the VIP; siplb-dp forwards them to three backends (sip-sink
counts what arrives). Then testpmd forwards the same stream on the same port
and the same XDP steering program (mac forwarding to backend 1). Last,
siplb-dp again at half its measured rate, to show nothing is lost below it.

usage: dp_veth_bench.py BUILD_DIR [MESSAGES] [SECONDS]   (root)
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import siplb_env as E  # noqa: E402


def forwarded(env):
    return sum(b["msgs"] for b in env.stats()["backends"])


def flood(env, build, count, secs, rate=0):
    r = subprocess.run(["ip", "netns", "exec", env.ns("cl"), os.path.join(build, "bench/sip-flood"),
                        E.VIP, "5060", "5090", str(count), str(secs), str(rate)],
                       capture_output=True, text=True, timeout=secs + 30)
    m = re.search(r"sent (\d+) messages in ([\d.]+) s", r.stdout)
    return int(m.group(1)), float(m.group(2))


def sinks(env, build, tag):
    return [env.spawn("b%d" % i, [os.path.join(build, "bench/sip-sink"), a, "5060", "60", "1500"],
                      "%s-sink%d" % (tag, i)) for i, a in enumerate(E.BACKENDS, 1)]


def sink_total(env, procs, tag):
    total = 0
    for i, p in enumerate(procs, 1):
        p.wait(90)
        m = re.search(r"received (\d+)", env.log("%s-sink%d" % (tag, i)))
        total += int(m.group(1)) if m else 0
    return total


def siplb_run(env, build, count, secs, rate, tag):
    procs = sinks(env, build, tag)
    time.sleep(0.5)
    a, t0 = forwarded(env), time.time()
    sent, took = flood(env, build, count, secs, rate)
    time.sleep(0.5)
    b = forwarded(env)
    got = sink_total(env, procs, tag)
    return sent, took, b - a, got


def steer_vip(env):
    """Puts the VIP into the steering program's map (what siplb-dp does)."""
    out = subprocess.run(["ip", "netns", "exec", env.ns("lb"), "ip", "-j", "link", "show", "lb"],
                         capture_output=True, text=True).stdout
    prog = json.loads(out)[0]["xdp"]["prog"]["id"]
    info = json.loads(subprocess.run(["bpftool", "-j", "prog", "show", "id", str(prog)],
                                     capture_output=True, text=True).stdout)
    for mid in info.get("map_ids", []):
        m = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(mid)],
                                      capture_output=True, text=True).stdout)
        if m.get("name") == "steer_vips":
            key = [str(int(x)) for x in E.VIP.split(".")] + ["0x13", "0xc4", "0", "0"]
            subprocess.run(["bpftool", "map", "update", "id", str(mid), "key"] + key +
                           ["value", "1"], check=True)
            return
    raise RuntimeError("no steer_vips map on the testpmd port")


def testpmd_run(env, build, count, secs):
    """testpmd sends everything to backend 1, which owns the VIP on its
    loopback (as a DSR backend would) so a sink receives it there: the
    receiving side costs what it costs with siplb-dp."""
    mac = json.loads(subprocess.run(["ip", "-n", env.ns("b1"), "-j", "link", "show", "b1"],
                                    capture_output=True, text=True).stdout)[0]["address"]
    subprocess.run(["ip", "-n", env.ns("b1"), "addr", "add", E.VIP + "/32", "dev", "lo"],
                   check=True)
    sink = env.spawn("b1", [os.path.join(build, "bench/sip-sink"), E.VIP, "5060", "60", "1500"],
                     "pmd-sink1")
    vdev = env.dp_cmd()[env.dp_cmd().index("--vdev") + 1]
    log = os.path.join(env.work, "testpmd.log")
    p = env.spawn("lb", ["dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
                         "--file-prefix", env.p + "tp", "--vdev", vdev, "--",
                         "--forward-mode=mac", "--eth-peer=0," + mac, "--nb-cores=1",
                         "--total-num-mbufs=16384",
                         "--stats-period=1"], "testpmd")
    time.sleep(4)
    steer_vip(env)
    sent, took = flood(env, build, count, secs)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    p.wait(20)
    sink.wait(90)
    got = re.search(r"received (\d+)", env.log("pmd-sink1"))
    subprocess.run(["ip", "-n", env.ns("b1"), "addr", "del", E.VIP + "/32", "dev", "lo"])
    text = env.log("testpmd")
    tx = [int(x) for x in re.findall(r"TX-packets: (\d+)", text)]
    return sent, took, max(tx) if tx else 0, int(got.group(1)) if got else 0


def main():
    build = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    with E.Env(build, "af_xdp", (50, 30, 20), prefix="slbvb") as env:
        flood(env, build, 300, 3, 100)  # warm-up: neighbours, caches
        time.sleep(1)
        s_sent, s_took, s_fwd, s_got = siplb_run(env, build, count, secs, 0, "max")
        env.dp.send_signal(signal.SIGTERM)
        env.dp.wait(10)
        t_sent, t_took, t_fwd, t_got = testpmd_run(env, build, count, secs)
        env.dp = env.spawn("lb", env.dp_cmd(), "siplb-dp-2")
        env.wait_for(lambda: "forwarding" in env.log("siplb-dp-2"), "siplb-dp restart", env.dp)
        half = int(s_fwd / s_took / 2)
        h_sent, h_took, h_fwd, h_got = siplb_run(env, build, half * 5, 5, half, "half")
    s_rate, t_rate = s_fwd / s_took, t_fwd / t_took
    print("generator, flat out:  %d msgs in %.2f s = %.0f msgs/s" % (s_sent, s_took, s_sent / s_took))
    print("siplb-dp   forwarded %d (%.0f msgs/s), backends received %d, lost %d (%.2f%%)"
          % (s_fwd, s_rate, s_got, s_sent - s_got, 100.0 * (s_sent - s_got) / max(s_sent, 1)))
    print("testpmd    generator sent %d in %.2f s; testpmd forwarded %d (%.0f pkts/s), "
          "backend received %d, lost %d" % (t_sent, t_took, t_fwd, t_rate, t_got, t_sent - t_got))
    print("ratio      siplb-dp / testpmd: %.3f" % (s_rate / t_rate if t_rate else 0))
    print("half rate  %d msgs/s offered for 5 s: sent %d, backends received %d, lost %d"
          % (half, h_sent, h_got, h_sent - h_got))
    return 0


if __name__ == "__main__":
    sys.exit(main())
