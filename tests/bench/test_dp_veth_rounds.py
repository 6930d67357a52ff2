#!/usr/bin/env python3
"""bench/dp_veth_bench.py --rounds, one short round: testpmd's mac engine,
siplb-dp, a second siplb-dp (--also), testpmd's csum engine and the csum
engine on INVITEs padded by PAD bytes (--pad-floor), each started afresh
on the same af_xdp port in turn, each forwarding; the padded stream's
frames arrive PAD bytes longer than the mac engine's (the sizes the bench
reads from the backends' interfaces). testpmd
goes first, with the VIP on backend 1's loopback: before the client's
neighbour entry for the VIP was fixed to lb's MAC, backend 1 answered the
client's first ARP for it, the stream went to backend 1 past testpmd, and
the siplb-dp after it got nothing (the bench stops a run where a
forwarder forwards under 1%; this test failed 2 of 2 without the fix).

usage: test_dp_veth_rounds.py BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAD = 100
BENCH = os.path.join(HERE, "..", "..", "bench", "dp_veth_bench.py")


def main():
    build = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP, a cgroup)")
        return 77
    v2 = "/sys/fs/cgroup/cgroup.controllers"
    if not (os.path.isdir("/sys/fs/cgroup/cpu") or
            (os.path.exists(v2) and "cpu" in open(v2).read().split())):
        print("skipped: no cgroup cpu controller for --cpu-share (v1 /sys/fs/cgroup/cpu or v2)")
        return 77
    if not shutil.which("dpdk-testpmd"):
        print("skipped: no dpdk-testpmd (Debian's dpdk package) to compare with")
        return 77
    r = subprocess.run([sys.executable, BENCH, build, "1", "--one-backend", "--cpu-share", "0.4",
                        "--rounds", "1", "--also", build, "--csum-floor",
                        "--pad-floor", str(PAD)],
                       capture_output=True, text=True, timeout=280)
    print(r.stdout[-4000:], r.stderr[-4000:])
    failed = []
    if r.returncode != 0:
        failed.append("the bench exited %d" % r.returncode)
    for label in ("siplb-dp", "testpmd \\(mac\\)", "siplb-dp " + re.escape(build),
                  "testpmd \\(csum\\)", "testpmd \\(csum, \\+%d\\)" % PAD):
        m = re.search(r"round 1, %s: +sent (\d+) .*received (\d+)" % label, r.stdout)
        if not m or int(m.group(2)) < 0.01 * int(m.group(1)):
            failed.append("%s did not forward in its trial" % label.replace("\\", ""))
    sizes = dict(re.findall(r"^  (testpmd \(mac\)|testpmd \(csum, \+\d+\)) +frames at the "
                            r"backends: median ([\d.]+) bytes$", r.stdout, re.M))
    grown = float(sizes.get("testpmd (csum, +%d)" % PAD, 0)) - float(sizes.get("testpmd (mac)", 0))
    if abs(grown - PAD) > 1:
        failed.append("the padded stream's frames %.1f bytes longer, not %d (%s)"
                      % (grown, PAD, sizes))
    if "1 rounds, flat out" not in r.stdout:
        failed.append("no summary")
    for f in failed:
        print("FAIL:", f)
    print("FAILED: %d" % len(failed) if failed else "all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
