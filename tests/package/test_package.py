#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package, built as an operator would: dpkg-buildpackage -b
-us -uc on a copy of the tree (its git files, committed or not), then:

- the .deb's file list is exactly what siplb installs (programs, XDP
  objects, units, conffiles, man pages, completion, docs);
- /etc/siplb/siplb.conf and /etc/default/siplb-dp are conffiles;
- `systemd-analyze verify` accepts both units without a word (their
  programs taken from the extracted package);
- the man pages render without a groff warning;
- the packaged siplbd prints its version and accepts the packaged
  configuration (siplbd --check);
- siplbctl's completion completes commands;
- with root: the packaged siplbd publishes (--once, on a bpffs of the
  test's own) with only the capabilities its unit's CapabilityBoundingSet
  leaves it, and fails without CAP_BPF and CAP_SYS_ADMIN (so the check
  can fail). The rest of the unit's sandbox (ProtectSystem= ...) needs
  systemd as PID 1, which this machine has not: not checked here.

usage: test_package.py SOURCE_ROOT VERSION
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, exit_status, expect  # noqa: E402

FILES = {
    "etc/default/siplb-dp", "etc/siplb/siplb.conf",
    "lib/systemd/system/siplbd.service", "lib/systemd/system/siplb-dp.service",
    "usr/sbin/siplbd", "usr/sbin/siplb-dp", "usr/bin/siplbctl", "usr/bin/siplb-parse",
    "usr/bin/siplb-bench",
    "usr/share/siplb/siplb_xdp.o", "usr/share/siplb/xdp_steer.o",
    "usr/share/siplb/grafana/siplb.json", "usr/share/siplb/hep.lua",
    "usr/share/man/man8/siplbd.8.gz", "usr/share/man/man8/siplb-dp.8.gz",
    "usr/share/man/man8/siplbctl.8.gz", "usr/share/man/man5/siplb.conf.5.gz",
    "usr/share/man/man1/siplb-bench.1.gz",
    "usr/share/bash-completion/completions/siplbctl",
    "usr/share/doc/siplb/copyright", "usr/share/doc/siplb/changelog.gz",
    "usr/share/doc/siplb/README.Debian",
}
CONFFILES = {"/etc/default/siplb-dp", "/etc/siplb/siplb.conf"}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def build(src, work):
    tree = os.path.join(work, "siplb")
    files = run(["git", "-C", src, "ls-files", "-co", "--exclude-standard", "-z"], check=True)
    for f in filter(None, files.stdout.split("\0")):
        if os.path.isfile(os.path.join(src, f)):
            os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
            shutil.copy2(os.path.join(src, f), os.path.join(tree, f))
    t0 = time.monotonic()
    p = run(["dpkg-buildpackage", "-b", "-us", "-uc", "-j2"], cwd=tree, timeout=1500)
    took = time.monotonic() - t0
    expect(p.returncode == 0, f"dpkg-buildpackage: exit {p.returncode}:\n"
           f"{(p.stdout + p.stderr)[-4000:]}")
    # The package ships the clang build, the one the benchmarks measure.
    expect(re.search(r"^C compiler for the host machine: clang ", p.stdout, re.M),
           "dpkg-buildpackage: meson did not configure with clang (debian/rules' CC)")
    debs = glob.glob(os.path.join(work, "siplb_*.deb"))
    expect(len(debs) == 1, f"one .deb expected: {debs}")
    print(f"ok   dpkg-buildpackage -b -us -uc: {os.path.basename(debs[0])} in {took:.0f} s")
    return debs[0]


def file_list(deb, docs):
    """docs: the .md files of debian/siplb.docs, compressed or not (dh_compress)."""
    out = run(["dpkg-deb", "-c", deb], check=True).stdout
    files = {re.sub(r"(\.md)\.gz$", r"\1", line.split()[-1][2:])
             for line in out.splitlines() if line.startswith("-")}
    want = FILES | {"usr/share/doc/siplb/" + d for d in docs}
    check(want == files,
          f"file list: missing {sorted(want - files)}, unexpected "
          f"{sorted(files - want)}")
    ctrl = tempfile.mkdtemp(prefix="siplb-pkg-ctrl-")
    subprocess.run(["dpkg-deb", "-e", deb, ctrl], check=True)
    with open(os.path.join(ctrl, "conffiles")) as f:
        conffiles = set(f.read().split())
    scripts = {}
    for name in ("preinst", "postinst", "prerm"):
        if os.path.exists(os.path.join(ctrl, name)):
            with open(os.path.join(ctrl, name)) as f:
                scripts[name] = f.read()
    shutil.rmtree(ctrl)
    check(conffiles == CONFFILES, f"conffiles: {sorted(conffiles)}")
    # An upgrade must not stop siplb-dp (an outage) nor restart it behind the
    # operator's back; a removal stops both.
    check("stop" not in scripts.get("preinst", "") and
          "restart" not in scripts.get("postinst", "") and
          re.search(r'"\$1" = "?remove"?.*deb-systemd-invoke stop', scripts.get("prerm", ""),
                    re.S), "maintainer scripts: an upgrade neither stops nor restarts the "
          f"units, a removal stops them: {sorted(scripts)}")


def verify_units(root, work):
    """Each unit with the package's paths under root, as systemd would see them."""
    units = os.path.join(work, "units")
    os.makedirs(units)
    for u in ("siplbd.service", "siplb-dp.service"):
        with open(os.path.join(root, "lib/systemd/system", u)) as f:
            text = f.read()
        for prog in re.findall(r"^ExecStart=\S*?(/usr/sbin/\S+)", text, re.M):
            check(os.access(root + prog, os.X_OK), f"{u}: {prog} in the package")
        text = re.sub(r"(?<=[=+])/usr/sbin/", root + "/usr/sbin/", text)
        with open(os.path.join(units, u), "w") as f:
            f.write(text)
    p = run(["systemd-analyze", "verify", "--man=no", os.path.join(units, "siplbd.service"),
             os.path.join(units, "siplb-dp.service")])
    check(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
          f"systemd-analyze verify: exit {p.returncode}, {(p.stdout + p.stderr).strip()!r}")


def man_pages(root):
    for page in sorted(glob.glob(root + "/usr/share/man/man*/*.gz")):
        p = run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80"))
        check(p.returncode == 0 and "NAME" in p.stdout and not p.stderr,
              f"man {os.path.basename(page)}: exit {p.returncode}, {p.stderr.strip()!r}")


def programs(root, version):
    siplbd = root + "/usr/sbin/siplbd"
    p = run([siplbd, "--version"])
    check(re.fullmatch(r"siplbd %s( \(git [\w.-]+\))?\n" % re.escape(version), p.stdout),
          f"packaged siplbd --version: {p.stdout!r}")
    p = run([siplbd, "--config", root + "/etc/siplb/siplb.conf", "--check"])
    check(p.returncode == 0 and ": ok: 1 VIPs, 1 pools, 2 backends, 1 ports" in p.stdout,
          f"packaged siplb.conf passes siplbd --check: {p.stdout}{p.stderr}")
    script = ("source /usr/share/bash-completion/bash_completion; source %s; "
              "COMP_WORDS=(siplbctl backend ''); COMP_CWORD=2; COMP_LINE='siplbctl backend '; "
              "COMP_POINT=${#COMP_LINE}; _siplbctl; echo ${COMPREPLY[*]}"
              % (root + "/usr/share/bash-completion/completions/siplbctl"))
    p = run(["bash", "-c", script], env=dict(os.environ, PATH=root + "/usr/bin:" +
                                           os.environ["PATH"]))
    subcommands = ["add", "disable", "drain", "enable", "list", "remove", "set"]
    check(sorted(p.stdout.split()) == subcommands,
          f"completion of 'siplbctl backend ': {p.stdout!r} {p.stderr!r}")


def bounding_set(root, unit):
    """The unit's CapabilityBoundingSet, as setpriv --bounding-set takes it."""
    with open(root + "/lib/systemd/system/" + unit) as f:
        caps = re.search(r"^CapabilityBoundingSet=(.*)$", f.read(), re.M).group(1).split()
    return [c.lower().replace("cap_", "") for c in caps]


def bounded(caps, argv):
    return run(["setpriv", "--bounding-set", "-all," + ",".join("+" + c for c in caps)] + argv,
               timeout=60)


def dataplane(root, work, bpffs):
    """The packaged siplb-dp on what siplbd published, with its unit's bounding
    set: the packaged configuration with a pcap port (an empty capture in)."""
    with open(root + "/etc/siplb/siplb.conf") as f:
        conf = re.sub(r'name = "net_af_xdp0";.*\n\s*iface = "slb0";[^\n]*',
                      'name = "net_pcap0";', f.read())
    with open(os.path.join(work, "dp.conf"), "w") as f:
        f.write(conf)
    with open(os.path.join(work, "in.pcap"), "wb") as f:
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    prefix = "siplb-pkg-%d" % os.getpid()
    p = bounded(bounding_set(root, "siplb-dp.service"), [
        root + "/usr/sbin/siplb-dp", "--no-huge", "-m", "256", "--no-pci", "-l", "0",
        "--file-prefix", prefix, "--vdev",
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (os.path.join(work, "in.pcap"),
                                             os.path.join(work, "out.pcap")),
        "--", "--config", os.path.join(work, "dp.conf"), "--bpffs", bpffs,
        "--static-mac", "net_pcap0=02:00:00:00:00:01", "--exit-when-idle", "200"])
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    check(p.returncode == 0 and "forwarding: 1 worker" in p.stdout + p.stderr,
          f"siplb-dp with siplb-dp.service's bounding set: forwards and exits (exit "
          f"{p.returncode}, {(p.stdout + p.stderr).strip()[-400:]!r})")


def capabilities(root, work):
    """siplbd --once with its unit's bounding set, and without CAP_BPF and
    CAP_SYS_ADMIN; siplb-dp with its unit's on what siplbd published."""
    caps = bounding_set(root, "siplbd.service")
    bpffs = tempfile.mkdtemp(prefix="siplb-pkg-bpf-", dir="/run")
    subprocess.run(["mount", "-t", "bpf", "bpf", bpffs], check=True)
    try:
        for keep, ok in ((caps, True), ([c for c in caps if c not in ("bpf", "sys_admin")],
                                        False)):
            p = bounded(keep, [root + "/usr/sbin/siplbd", "--config",
                               root + "/etc/siplb/siplb.conf", "--bpffs",
                               bpffs + "/siplb-" + str(ok), "--once"])
            published = p.returncode == 0 and "generation 1 published" in p.stderr
            check(published == ok, f"siplbd --once with the bounding set {','.join(keep)}: "
                  f"{'publishes' if ok else 'fails'} (exit {p.returncode}, "
                  f"{p.stderr.strip()[-300:]!r})")
        dataplane(root, work, bpffs + "/siplb-True")
    finally:
        subprocess.run(["umount", bpffs])
        os.rmdir(bpffs)


def main():
    src, version = sys.argv[1], sys.argv[2]
    if not os.path.isdir(os.path.join(src, ".git")) and \
            run(["git", "-C", src, "rev-parse"]).returncode:
        print("SKIP: the package is built from the tree's git files; no git checkout here")
        return 77
    work = tempfile.mkdtemp(prefix="siplb-pkg-")
    try:
        deb = build(src, work)
        root = os.path.join(work, "root")
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        file_list(deb, ["README.md"] + [os.path.basename(d) for d in
                                         glob.glob(os.path.join(src, "docs", "*.md"))])
        verify_units(root, work)
        man_pages(root)
        programs(root, version)
        if os.geteuid() == 0:
            capabilities(root, work)
        else:
            print("SKIP capabilities: needs root (a bpffs mount, BPF maps)")
    finally:
        shutil.rmtree(work)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
