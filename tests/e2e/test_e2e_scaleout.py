#!/usr/bin/env python3
"""Scale-out: two siplb instances from one configuration route every call
the same way, and share no state (docs/deploy.md).

Two copies of the test topology (topo.sh: client, siplb, three backends,
the same addresses in each), each with its own siplbd and siplb-dp
(af_xdp), as two hosts behind ECMP would be. Both start from one shared
file, common.conf, which each instance's file @includes beside the two
settings that are the host's own (its bpffs and control socket). Checks:

  tables   both publish the same state byte for byte: pools, backends
           (ids, addresses, weights, states) and each Maglev table
           (dump_tables);
  corpus   CORPUS INVITEs (Call-IDs of many shapes; Call-ID, call-id,
           CALL-ID and the compact i) sent to the VIP of each: every
           Call-ID reaches exactly one backend in each instance, the same
           one in both, and the three backends share them by weight;
  drain    the same siplbctl change on both (a backend drained, the
           runbook's step) gives identical tables again, the drained
           backend out of them, and the corpus sent again still maps the
           same in both and reaches no drained backend.

usage: test_e2e_scaleout.py BUILD_DIR
Namespaces are prefixed with $SIPLB_NS_PREFIX (default "so") and the pid.
"""
import json
import os
import random
import re
import shutil
import sys
import tempfile
import uuid
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = 1200
RATE = 400            # INVITEs per second
WEIGHTS = (50, 30, 20)
SPREAD = 0.06         # a backend's share may differ this much from its weight's
DRAINING = 4          # enum slb_backend_state (include/siplb/state.h)
check = E.check

COMMON = """# The configuration both instances share: only bpffs and control differ.
branch_seed = "0x5eedc0de";
branch_secret = "scale-out-test-secret-0123456789";
dataplane = { ports = ( { name = "net_af_xdp0"; iface = "lb"; address = "%s"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "%s"; port = 5060; mode = "proxy"; pool = "core";
           record_route = true; } );
pools = ( { name = "core"; seed = "0x1"; backends = (
%s
  ); } );
"""


class Instance(E.Env):
    """One siplb instance: its own topology copy, siplbd and siplb-dp, its
    configuration the shared file plus its own bpffs and control socket."""

    def __init__(self, build, prefix, common):
        self.common = common
        super().__init__(build, "af_xdp", weights=WEIGHTS, prefix=prefix)

    def write_config(self, weights=None):
        with open(self.conf, "w") as f:
            f.write('@include "%s"\nbpffs = "%s";\ncontrol = { socket = "%s"; };\n'
                    % (self.common, self.bpffs, os.path.join(self.work, "siplbd.sock")))

    def tables(self):
        out = E.sh("%s %s" % (self.tool("tests/e2e/dump_tables"), self.bpffs)).stdout
        return out.split("\n", 1)[1]  # without the generation line

    def send_corpus(self, corpus_file, tag):
        """Every backend records, the client sends the corpus; {Call-ID: [backends]}."""
        peer = os.path.join(HERE, "callid_peer.py")
        procs = [self.spawn("b%d" % i, ["python3", peer, "record", "0.0.0.0", "5060", "60",
                                        "2"], "%s-b%d" % (tag, i))
                 for i in range(1, len(E.BACKENDS) + 1)]
        self.wait_for(lambda: all(self.log("%s-b%d" % (tag, i)).startswith("ready")
                                  for i in range(1, len(E.BACKENDS) + 1)), "recorders")
        with open(corpus_file) as f:
            E.sh("ip netns exec %s python3 %s send %s 5060 5070 %d" % (self.ns("cl"), peer,
                                                                       E.VIP, RATE),
                 stdin=f, timeout=60)
        for p in procs:
            p.wait(70)
        seen = {}
        for i, addr in enumerate(E.BACKENDS, 1):
            for cid in self.log("%s-b%d" % (tag, i)).split("\n")[1:]:
                if cid:
                    seen.setdefault(cid, []).append(addr)
        return seen


def corpus():
    """CORPUS INVITEs, (Call-ID, message) pairs: UUIDs, counters at hosts,
    long and odd Call-IDs; the header name in four spellings."""
    rnd = random.Random(7)
    shapes = [lambda i: str(uuid.UUID(int=rnd.getrandbits(128))),
              lambda i: "%d@192.0.2.10" % i,
              lambda i: "%08x-%04x@pbx%d.example.net" % (rnd.getrandbits(32), i, i % 7),
              lambda i: "a!b%%c~d'e*f+g%d" % i,
              lambda i: "long-%d-" % i + "x" * rnd.randrange(40, 200)]
    names = ["Call-ID", "call-id", "CALL-ID", "i"]
    out = []
    for i in range(CORPUS):
        cid = shapes[i % len(shapes)](i)
        out.append((cid, "INVITE sip:bob@%s SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-so-%d;rport\r\n"
                    "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=%d\r\n"
                    "To: <sip:bob@%s>\r\n%s: %s\r\nCSeq: 1 INVITE\r\n"
                    "Contact: <sip:alice@192.0.2.10:5070>\r\nContent-Length: 0\r\n\r\n"
                    % (E.VIP, i, i, E.VIP, names[i % len(names)], cid)))
    return out


def compare_routes(seen_a, seen_b, cids, what, avoid=None):
    """Each Call-ID at one backend in each instance, the same in both."""
    for name, seen in (("A", seen_a), ("B", seen_b)):
        missing = [c for c in cids if c not in seen]
        twice = [c for c in cids if len(seen.get(c, ())) > 1]
        check(not missing and not twice and len(seen) == len(cids),
              "%s, instance %s: %d Call-IDs each at exactly one backend (missing %d %s, at "
              "two %d, unknown %d)" % (what, name, len(cids), len(missing), missing[:3],
                                       len(twice), len(set(seen) - set(cids))))
    differ = [c for c in cids if seen_a.get(c) != seen_b.get(c)]
    check(not differ, "%s: every Call-ID at the same backend in A and B (%d differ: %s)"
          % (what, len(differ), [(c, seen_a.get(c), seen_b.get(c)) for c in differ[:3]]))
    share = Counter(v[0] for v in seen_a.values() if v)
    if avoid:
        check(not share.get(avoid), "%s: nothing to the drained %s (%d)"
              % (what, avoid, share.get(avoid, 0)))
    return share


def main():
    build = os.path.abspath(sys.argv[1])
    prefix = "%s%d" % (os.environ.get("SIPLB_NS_PREFIX", "so"), os.getpid() % 100000)
    work = tempfile.mkdtemp(prefix="siplb-scaleout-")
    try:
        return run(build, prefix, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(build, prefix, work):
    common = os.path.join(work, "common.conf")
    with open(common, "w") as f:
        f.write(COMMON % (E.SIPLB, E.VIP, ",\n".join(
            '    { address = "%s"; port = 5060; weight = %d; }' % (a, w)
            for a, w in zip(E.BACKENDS, WEIGHTS))))
    msgs = corpus()
    cids = [c for c, _ in msgs]
    corpus_file = os.path.join(work, "corpus.json")
    with open(corpus_file, "w") as f:
        json.dump([m for _, m in msgs], f)
    with Instance(build, prefix + "a", common) as a, Instance(build, prefix + "b", common) as b:
        for env in (a, b):  # the kernel's neighbours, which siplb-dp follows
            for addr in E.BACKENDS + [E.CLIENT]:
                E.sh("ip netns exec %s ping -c 1 -W 1 %s" % (env.ns("lb"), addr), check=False)
        ta, tb = a.tables(), b.tables()
        n_tables = len(re.findall(r"^table ", ta, re.M))
        check(ta == tb and n_tables == 1 and "state 1 pool 0" in ta,
              "tables: A and B publish the same pools, backends and Maglev table byte for "
              "byte (%d bytes of text; %s)" % (len(ta), "same" if ta == tb else "DIFFER"))

        share = compare_routes(a.send_corpus(corpus_file, "c1"),
                               b.send_corpus(corpus_file, "c1"), cids, "corpus")
        total = sum(share.values()) or 1
        want = {addr: w / sum(WEIGHTS) for addr, w in zip(E.BACKENDS, WEIGHTS)}
        check(all(abs(share[addr] / total - want[addr]) <= SPREAD for addr in E.BACKENDS),
              "corpus: shared by weight %s: %s" % (WEIGHTS, dict(share)))

        drained, before = E.BACKENDS[1], ta
        for env in (a, b):
            env.ctl("backend", "drain", "core", drained)
        ta, tb = a.tables(), b.tables()
        check(ta == tb and ta != before and
              re.search(r"^backend \d+ %s:5060 weight \d+ state %d " % (re.escape(drained),
                                                                     DRAINING), ta, re.M),
              "drain: A and B publish the same tables again, %s draining (%s)"
              % (drained, "same" if ta == tb else "DIFFER"))
        compare_routes(a.send_corpus(corpus_file, "c2"), b.send_corpus(corpus_file, "c2"),
                       cids, "after the drain", avoid=drained)
    print("scale-out: %d checks failed" % len(E.FAILURES) if E.FAILURES else
          "scale-out: two instances, one configuration, the same routes")
    return 1 if E.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
