#!/usr/bin/env python3
"""Routing rules end to end (issue 11 item 6, docs/rules.md): SIPp and
bench/sip-flood through siplbd + siplb-dp (af_xdp) in namespaces, one
topology for every case:

- REGISTERs for reg.example.com reach the registrar pool (the backends'
  port 5061) hashed on the AoR: both REGISTERs of a user, two Call-IDs, at
  one registrar; the users spread; another domain's stay on the VIP's pool;
- INVITEs with User-Agent friendly-scanner are dropped and counted while
  SIPp calls complete;
- a rule dropping a source address alone is done by the XDP program
  (issue 11 item 4): siplb-dp never sees that host's requests;
- a `reply 403` rule answers the client, and no backend sees the request;
- a per-source rate rule cuts a bounded flood to rate x time + burst, the
  rest counted as rule_rate drops;
- rules added, moved, removed with siplbctl and a state clear that
  reloads a file that changes them, under a steady stream: every message
  counted at a backend.

usage: test_e2e_rules.py BUILD_DIR
"""
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import siplb_env as E  # noqa: E402
from test_e2e_proxy import probe  # noqa: E402

check, failures = E.check, E.FAILURES
REG_PORT, LOAD_PORT, RATE_PORT = 5061, 5070, 5071
RATE, BURST = 200, 50
BANNED = "192.0.2.66"

SIP_RULES = """
      { match = { source = "%s"; }; action = "drop"; },
      { match = { user_agent = { regex = "friendly-scanner|sipvicious|sipcli" }; };
        action = "drop"; },
      { match = { method = "REGISTER"; ruri_host = "reg.example.com"; };
        action = "pool registrars"; hash = "to-user"; },
      { match = { ruri_user = { prefix = "+1900" }; };
        action = "reply 403 Premium numbers barred"; }""" % BANNED
RATE_RULES = """
      { match = { method = "INVITE"; };
        rate = { limit = %d; burst = %d; per = "source"; over = "drop"; }; }""" % (RATE, BURST)
# The stream's VIP before and after the reload; siplbctl changes the first
# set in between. sip-flood's R-URI and To users are bench-N.
LOAD_RULES = """
      { match = { ruri_user = { prefix = "bench-1" }; }; hash = "to-user"; },
      { match = { ruri_user = { prefix = "bench-3" }; }; action = "pool load2"; }"""
LOAD_RULES_RELOADED = """
      { match = { ruri_user = { regex = "^bench-[0-9]*7$" }; }; action = "pool load2"; },
      { match = { method = "INVITE"; }; hash = "from-user"; }"""


class RulesEnv(E.Env):
    """VIP sip (:5060, pool core, SIPp), rate (:5071) and load (:5070) to
    the sinks on :5070; pools registrars (every backend's :5061) and load2
    (backend 1's :5070 alone)."""

    load_rules = LOAD_RULES

    def write_config(self, weights=None):
        port = "net_af_xdp0" if self.driver == "af_xdp" else "net_af_packet0"
        pool = lambda name, p, addrs: '  { name = "%s"; backends = (\n%s\n  ); }' % (
            name, ",\n".join('    { address = "%s"; port = %d; weight = 1; }' % (a, p)
                             for a in addrs))
        vip = lambda name, p, pl, rules: (
            '  { name = "%s"; address = "%s"; port = %d; pool = "%s";\n    rules = (%s\n    ); }'
            % (name, E.VIP, p, pl, rules))
        text = ('bpffs = "%s";\nbranch_seed = "0x5eedc0de";\n'
                'control = { socket = "%s/siplbd.sock"; };\nmetrics = { port = 0; };\n'
                'dataplane = { ports = ( { name = "%s"; iface = "lb"; address = "%s"; '
                'prefix = 24; } ); };\n' % (self.bpffs, self.work, port, E.SIPLB))
        text += "vips = (\n%s\n);\n" % ",\n".join([
            vip("sip", 5060, "core", SIP_RULES), vip("rate", RATE_PORT, "load", RATE_RULES),
            vip("load", LOAD_PORT, "load", self.load_rules)])
        text += "pools = (\n%s\n);\n" % ",\n".join([
            pool("core", 5060, E.BACKENDS), pool("registrars", REG_PORT, E.BACKENDS),
            pool("load", LOAD_PORT, E.BACKENDS), pool("load2", LOAD_PORT, E.BACKENDS[:1])])
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.replace(self.conf + ".new", self.conf)


def delta(before, after, group):
    return {k: v - before[group].get(k, 0) for k, v in after[group].items()
            if v != before[group].get(k, 0)}


def hits(stats, vip):
    return [r["hits"] for r in sorted((r for r in stats.get("rules", []) if r["vip"] == vip),
                                      key=lambda r: r["index"])]


def to_user(text):
    m = re.search(r"^(?:To|t)\s*:[^\n]*<sip:([^@>]+)@", text, re.I | re.M)
    return m.group(1) if m else None


def registers(env):
    """60 REGISTERs of 30 users at reg.example.com (each user twice, two
    Call-IDs), 10 of other.example.com; a registrar answers on :5061 (the
    registrars pool) and on :5060 (core), so a REGISTER in the wrong pool
    completes too and the traces say where it went."""
    users = ["user%02d" % i for i in range(30)]
    lines = ["%s;reg.example.com" % u for u in users] * 2 + \
        ["other%02d;other.example.com" % i for i in range(10)]
    inf = os.path.join(env.work, "aor.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n" + "\n".join(lines) + "\n")
    before = env.stats()
    reg = env.start_backends("uas_register.xml", "reg", port=REG_PORT)
    core = env.start_backends("uas_register.xml", "regcore")
    rc, st = env.run_uac("uac_register_aor.xml", len(lines), 50, ["-inf", inf], tag="uac-reg",
                         timeout=30)
    env.stop("reg")
    env.stop("regcore")
    check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == len(lines),
          "%d REGISTERs answered (SIPp exit %d, %s completed)"
          % (len(lines), rc, st.get("SuccessfulCall(C)")))
    at_reg = {i: [to_user(m[3]) for m in msgs if m[1] == "REGISTER"]
              for i, msgs in E.per_backend(reg).items()}
    at_core = [to_user(m[3]) for msgs in E.per_backend(core).values()
               for m in msgs if m[1] == "REGISTER"]
    where = collections.defaultdict(set)
    for i, us in at_reg.items():
        for u in us:
            where[u].add(i)
    n_reg = sum(len(us) for us in at_reg.values())
    check(n_reg == 2 * len(users) and set(where) == set(users),
          "reg.example.com's %d REGISTERs reached the registrars pool: %d there, %d at core"
          % (2 * len(users), n_reg, sum(1 for u in at_core if u in users)))
    split = sorted(u for u, b in where.items() if len(b) > 1)
    check(not split, "both REGISTERs of each AoR (two Call-IDs) at one registrar (split: %s)"
          % split)
    spread = collections.Counter(min(b) for b in where.values())
    check(len(spread) == len(E.BACKENDS), "the AoRs spread over every registrar %s"
          % dict(spread))
    check(sorted(at_core) == ["other%02d" % i for i in range(10)],
          "other.example.com's REGISTERs stay on the VIP's pool (%d at core)" % len(at_core))
    h = hits(env.stats(), "sip")
    check(len(h) == 4 and h[2] - hits(before, "sip")[2] == 2 * len(users),
          "the registrar rule counted %d hits (%s)" % (2 * len(users), h))


SCANNER = """INVITE sip:100@192.0.2.100 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:%(port)d;branch=z9hG4bKscan%(n)d;rport
Max-Forwards: 70
From: "sipvicious" <sip:100@1.1.1.1>;tag=scan%(n)d
To: <sip:100@192.0.2.100>
Call-ID: scanner-%(n)d
CSeq: 1 INVITE
User-Agent: %(ua)s
Content-Length: 0

"""


def scanners(env, calls=200, n_scans=20):
    """SIPp calls run while INVITEs from friendly-scanner arrive: none of
    those reaches a backend or gets an answer, each is a rule drop."""
    before = env.stats()
    dirs = env.start_backends("uas.xml", "scan")
    uac = env.run_uac("uac.xml", calls, 100, ["-d", "100"], tag="uac-scan", timeout=60,
                      wait=False)
    answers = []
    for n in range(n_scans):
        answers += probe(env, SCANNER % dict(port=5098, n=n, ua="friendly-scanner"), 5098,
                         wait=0.05)
    rc, st = env.uac_result(uac, "uac-scan", 90)
    env.stop("scan")
    after = env.stats()
    seen = [m for msgs in E.per_backend(dirs).values() for m in msgs
            if m[2].startswith("scanner-")]
    check(rc == 0 and int(st.get("SuccessfulCall(C)", 0)) == calls and
          int(st.get("FailedCall(C)", -1)) == 0,
          "%d calls beside the scanner: %s completed, %s failed"
          % (calls, st.get("SuccessfulCall(C)"), st.get("FailedCall(C)")))
    check(not seen and not answers, "scanner INVITEs: %d at backends, %d answered"
          % (len(seen), len(answers)))
    drops = delta(before, after, "drops")
    check(drops == {"rule": n_scans}, "each scanner INVITE a rule drop (%s)" % drops)
    h1 = hits(after, "sip")[1] - hits(before, "sip")[1]
    check(h1 == n_scans, "the scanner rule's hits: %d of %d" % (h1, n_scans))


def banned_source(env, n=10):
    """Rule 0 of VIP sip drops one source address: XDP drops its INVITEs
    (a User-Agent siplb-dp would forward), siplb-dp counts none."""
    before = env.stats()
    answers = []
    for i in range(n):
        answers += probe(env, SCANNER % dict(port=5096, n=100 + i, ua="softphone"), 5096,
                         wait=0.05, host="ban")
    time.sleep(0.5)
    after = env.stats()
    xdp = E.xdp_delta(before, after)
    dp_in = sum(v["msgs"] for v in after["vips"]) - sum(v["msgs"] for v in before["vips"])
    check(not answers and xdp["drop"].get("rule") == n and dp_in == 0,
          "%s's %d INVITEs dropped by XDP (rule %s), %d reached siplb-dp, %d answered"
          % (BANNED, n, xdp["drop"].get("rule"), dp_in, len(answers)))


BARRED = """INVITE sip:+19005550100@192.0.2.100 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5097;branch=z9hG4bKbarred;rport
Max-Forwards: 70
From: <sip:alice@192.0.2.10>;tag=b1
To: <sip:+19005550100@192.0.2.100>
Call-ID: barred-1
CSeq: 1 INVITE
Content-Length: 0

"""


def reply_403(env):
    before = env.stats()
    r = probe(env, BARRED, 5097)
    after = env.stats()
    first = [x["text"].split("\r\n")[0] for x in r]
    check(first == ["SIP/2.0 403 Premium numbers barred"] and "Call-ID: barred-1" in r[0]["text"],
          "a reply 403 rule answers the client (%s)" % first)
    fwd = sum(b["msgs"] for b in after["backends"]) - sum(b["msgs"] for b in before["backends"])
    replies = delta(before, after, "replies")
    check(fwd == 0 and replies == {"rule": 1}, "nothing forwarded (%d), one rule reply (%s)"
          % (fwd, replies))


def rate_limit(env, secs=3.0, flood_rate=2000):
    """A flood of INVITEs from one source at 10 x the rule's rate: what
    reaches the backends is the rule's rate over the flood plus the burst."""
    before = env.stats()
    sinks = env.start_sinks("0.0.0.0", LOAD_PORT, "rate", secs=30, idle_ms=1500)
    sent, took = env.sip_flood("cl", RATE_PORT, int(secs * flood_rate), secs, flood_rate)
    got = sum(env.sink_counts(sinks, "rate"))
    after = env.stats()
    most, least = RATE * (took + 0.3) + BURST, RATE * took * 0.9
    check(least <= got <= most, "rate %d/s burst %d: %d of %d in %.2f s passed (%d..%d allowed)"
          % (RATE, BURST, got, sent, took, least, most))
    drops = delta(before, after, "drops")
    check(drops == {"rule_rate": sent - got}, "the rest counted as rule_rate drops (%s, %d)"
          % (drops, sent - got))


def reload_under_load(env, count=16000, rate=2000):
    """The stream's VIP has rules; siplbctl adds one (to pool load2), moves
    it, removes one, and state clear (the run-time changes forgotten, the
    changed file reloaded) replaces them all, while a stream runs: every
    message reaches a sink, the rules routed some to load2."""
    before = env.stats()
    gen0 = before["generation"]
    sinks = env.start_sinks("0.0.0.0", LOAD_PORT, "load", secs=60, idle_ms=2000)
    flood = env.spawn("cl", [env.tool("bench/sip-flood"), E.VIP, str(LOAD_PORT), "5091",
                             str(count), "30", str(rate)], "flood-load")
    t0 = time.time()
    steps = [
        (1.5, ("rule", "add", "load", "--at", "0",
               '{ match = { method = "INVITE"; ruri_user = { prefix = "bench-2" }; }; '
               'action = "pool load2"; }')),
        (3.0, ("rule", "move", "load", "0", "2")),
        (4.5, ("rule", "remove", "load", "1")),
    ]
    for at, cmd in steps:
        time.sleep(max(0, t0 + at - time.time()))
        check(env.ctl(*cmd) == 0, "siplbctl %s at t=%.1fs" % (" ".join(cmd[:2]), at))
    time.sleep(max(0, t0 + 6 - time.time()))
    env.load_rules = LOAD_RULES_RELOADED
    env.write_config()
    # A plain reload would keep the run-time rules (the state file):
    # state clear takes the file's.
    check(env.ctl("state", "clear") == 0, "state clear at t=6s")
    flood.wait(60)
    m = re.search(r"sent (\d+)", env.log("flood-load"))
    sent = int(m.group(1)) if m else -1
    got = env.sink_counts(sinks, "load")
    after = env.stats()
    # where a loss happened: before XDP, between XDP and siplb-dp, after
    d = E.xdp_delta(before, after)
    took = [v["msgs"] - u["msgs"] for u, v in zip(before["vips"], after["vips"])
            if v["name"] == "load"]
    check(sent == count and sum(got) == sent,
          "stream through 4 rule changes: %d sent, %d at the backends %s (zero loss; XDP saw "
          "%d for the VIP, siplb-dp took %s)"
          % (sent, sum(got), got, d["vips"].get("load", 0), took))
    drops = delta(before, after, "drops")
    check(not drops, "siplb-dp dropped nothing (%s)" % (drops or "none"))
    check(after["generation"] >= gen0 + 4, "a generation per change (%d -> %d)"
          % (gen0, after["generation"]))
    h = hits(after, "load")
    to_load2 = sum(b["msgs"] for b in after["backends"] if b["pool"] == "load2") - \
        sum(b["msgs"] for b in before["backends"] if b["pool"] == "load2")
    check(len(h) == 2 and h[0] > 0 and h[1] > 0 and to_load2 >= h[0],
          "the reloaded rules apply: hits %s, %d messages to pool load2" % (h, to_load2))


def main():
    build = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, bpffs, XDP)")
        return 77
    # Namespaces and interfaces named after this test (topo.sh: PREFIX-host).
    with RulesEnv(build, "af_xdp", prefix="rle%d" % (os.getpid() % 10000),
                  hosts={"ban": BANNED}) as env:
        try:
            registers(env)
            scanners(env)
            banned_source(env)
            reply_403(env)
            rate_limit(env)
            reload_under_load(env)
        finally:
            st = env.stats()
            print("drops %s replies %s rules %s" % (
                {k: v for k, v in st["drops"].items() if v},
                {k: v for k, v in st["replies"].items() if v}, st.get("rules")))
            for name in ("siplbd", "siplb-dp"):
                print("--- %s (tail)\n%s" % (name, env.log(name)[-1500:]))
    print("e2e routing rules: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
