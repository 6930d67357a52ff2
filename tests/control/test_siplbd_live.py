#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""siplbd with everything wired in, against real peers, in a network
namespace of its own (siplbd_env.py: loopback only):

  health    SIPp backends; one killed goes down within interval x fall (ICMP)
            and not before its fall-th failure, back up through probing
            within interval x rise; one stopped (silent) goes down within
            interval x fall + timeout. Seen in siplbctl, in the maps
            (siplbd --stats --json) and on /metrics; logged with the reason.
  srv       a pool from DNS SRV served by a real unbound: the first
            generation has the answer, a zone change is followed within the
            TTL (ids kept), the lower priority group takes over when the
            upper one is down (SIPp killed) and gives back when it returns;
            unbound stopped: the last answer stays, the failure is logged
            and counted on /metrics.
  ctl       every siplbctl command against siplbd: each change one new
            generation in the maps, with the change in the published
            backends; refused requests (bad params, unknown pool or
            backend, bad or restart-only files) change nothing; a backend
            added to a probed pool is probing until rise good probes (--up:
            up at once); the run-time changes survive a reload, a one-off
            reload of another file and a kill -9 (the state file), config
            diff shows them, state clear forgets them, hostile state files
            stop the start and change nothing; the hook runs with each
            change in its environment, and hooks that hang are killed
            without holding siplbd; SIGHUP and config.reload say the same.
  metrics   siplb-dp (net_pcap) forwards requests and relays responses:
            per-VIP and per-backend counters on /metrics; passive health
            takes down the backend that never answers, its probes bring it
            back, and the last backend up of a pool is left up; a routing
            rule added with siplbctl drops in siplb-dp, its hits counted in
            rule list, stats and /metrics.

  test_siplbd_live.py MODE SIPLBD SIPLBCTL SIPP UNBOUND SCENARIOS SIPLB_DP
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from siplbd_env import Failure, expect, main, refused, state_of, wait_until  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dp", "golden"))
import golden  # noqa: E402 (frames and pcap files)

INTERVAL, TIMEOUT, RISE, FALL = 0.5, 0.4, 2, 3
# Polling, scheduling, two CPUs shared with other tests: what a bound may
# be late by. Lower bounds get 0.1 s (the polling's granularity).
SLACK = 0.7
A, B, C, D = "127.0.0.11:5060", "127.0.0.12:5060", "127.0.0.13:5060", "127.0.0.14:5060"

HEAD = """maglev = { table_size = 251; capacity = 1000; };
vips = ( { name = "sip"; address = "192.0.2.100"; port = 5060; pool = "core"; } );
"""
PROBING = ("probing = { interval = %g; timeout = %g; rise = %d; fall = %d; };"
           % (INTERVAL, TIMEOUT, RISE, FALL))


def timed(env, cond, bound, what):
    """Seconds until cond holds, at most bound."""
    t0 = time.monotonic()
    wait_until(cond, bound, what)
    return time.monotonic() - t0


def all_answered(env, n):
    h = env.ctl_json("health")["backends"]
    return len(h) == n and all(b["health"] == "up" and b["last_code"] == 200 for b in h)


# ---- health ------------------------------------------------------------------------

def health(env):
    uas = {a: env.uas(a.split(":")[0]) for a in (A, B)}
    env.start_siplbd(env.config(HEAD + """pools = ( { name = "core";
  backends = ( { address = "127.0.0.11"; port = 5060; weight = 50; },
               { address = "127.0.0.12"; port = 5060; weight = 30; } );
  %s } );
""" % PROBING))
    wait_until(lambda: all_answered(env, 2), 3, "a 200 from both backends")
    g0, pub = env.published()
    expect(pub[A]["state"] == "up" and pub[A]["effective_weight"] == 50 and
           pub[B]["effective_weight"] == 30, pub)
    mark = len(env.log())

    # killed: its port answers ICMP port unreachable, a failure per probe
    env.kill(uas[A])
    took = timed(env, lambda: env.backends()[A]["state"] == "down", FALL * INTERVAL + SLACK,
                 f"{A} down")
    expect(took >= (FALL - 1) * INTERVAL - 0.1, f"{A} down after {took:.2f} s: before its "
           f"{FALL} failures")
    env.wait_log(r"warning siplbd: backend health up -> down: pool=core backend=127\.0\.0\.11:5060 "
                 r"id=\d+ reason=\"ICMP port unreachable x3\"", after=mark)
    g1, pub = env.published()
    expect(g1 > g0 and pub[A]["state"] == "down" and pub[A]["effective_weight"] == 0 and
           pub[B]["state"] == "up" and pub[B]["effective_weight"] == 30, f"published: {pub}")
    m = env.metrics()
    expect(state_of(m, "core", A) == "down" and state_of(m, "core", B) == "up" and
           m[("siplb_generation", frozenset())] >= g1, "metrics after the change")
    print(f"ok   killed: down after {took:.2f} s (bound {FALL * INTERVAL:.1f} s), generation "
          f"{g0} -> {g1}, in the maps and on /metrics")

    # back: probing first, up after rise successes
    uas[A] = env.uas("127.0.0.11")
    took = timed(env, lambda: env.backends()[A]["state"] == "up", RISE * INTERVAL + SLACK,
                 f"{A} up again")
    expect(took >= (RISE - 1) * INTERVAL - 0.1, f"{A} up after {took:.2f} s: before {RISE} "
           "successes")
    env.wait_log(r"health down -> probing: pool=core backend=127\.0\.0\.11:5060 id=\d+ "
                 r"reason=\"200 OK\"", after=mark)
    env.wait_log(r"notice siplbd: backend health probing -> up: pool=core "
                 r"backend=127\.0\.0\.11:5060 id=\d+ reason=\"200 OK x2\"", after=mark)
    _, pub = env.published()
    m = env.metrics()
    expect(pub[A]["state"] == "up" and pub[A]["effective_weight"] == 50 and
           state_of(m, "core", A) == "up"
           and m.get(("siplb_backend_health_latency_seconds",
                      frozenset({("pool", "core"), ("backend", A)})), -1) >= 0,
           "up again: in the maps, on /metrics with a latency")
    print(f"ok   restarted: probing, then up after {took:.2f} s (bound {RISE * INTERVAL:.1f} s)")

    # stopped: it holds its port and answers nothing, so probes time out
    uas[B].send_signal(signal.SIGSTOP)
    took = timed(env, lambda: env.backends()[B]["state"] == "down",
                 FALL * INTERVAL + TIMEOUT + SLACK, f"{B} down when silent")
    env.wait_log(r"health up -> down: pool=core backend=127\.0\.0\.12:5060 id=\d+ "
                 r"reason=\"3 timeouts\"", after=mark)
    uas[B].send_signal(signal.SIGCONT)
    print(f"ok   silent: down after {took:.2f} s (bound {FALL * INTERVAL + TIMEOUT:.1f} s), "
          "3 timeouts")


# ---- DNS SRV --------------------------------------------------------------------------

UNBOUND = """server:
  interface: 127.0.0.2
  port: 53
  do-ip6: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "{work}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  local-zone: "example.net." static
  include: "{zone}"
remote-control:
  control-enable: no
"""
TTL = 2
SRV = "_sip._udp.example.net."


def zone(records):
    """local-data lines: (priority, weight, target, address) per SRV record."""
    lines = [f'local-data: "{SRV} {TTL} IN SRV {p} {w} 5060 {t}.example.net."'
             for p, w, t, _ in records]
    lines += [f'local-data: "{t}.example.net. {TTL} IN A {a}"' for _, _, t, a in records]
    return "\n".join(lines) + "\n"


ZONE_V1 = zone([(10, 60, "a", "127.0.0.11"), (10, 40, "b", "127.0.0.12"),
                (20, 10, "c", "127.0.0.13")])
ZONE_V2 = zone([(10, 60, "a", "127.0.0.11"), (10, 40, "d", "127.0.0.14"),
                (20, 10, "c", "127.0.0.13")])


def weights(env):
    _, pub = env.published()
    return {b: (p["state"], p["effective_weight"]) for b, p in pub.items()}


def srv(env):
    zone_file = env.write("zone.conf", ZONE_V1)
    conf = env.write("unbound.conf", UNBOUND.format(work=env.work, zone=zone_file))
    unbound = env.spawn("unbound", env.tools["unbound"], "-d", "-c", conf)
    wait_until(lambda: "127.0.0.2:53 " in env.run("ss", "-Hlun"), 5, "unbound on 127.0.0.2:53")
    uas = {a: env.uas(a.split(":")[0]) for a in (A, B, C, D)}
    env.start_siplbd(env.config(HEAD + """pools = ( { name = "core";
  srv = "_sip._udp.example.net"; resolvers = ( "127.0.0.2" );
  dns = { timeout = 0.3; tries = 1; retry = 0.3; retry_max = 1; };
  %s } );
""" % PROBING.replace("fall = 3", "fall = 2")))
    # the first generation has the answer: no empty pool at start
    env.wait_log(r"generation 1 published .*: 1 VIPs, 1 pools, 3 backends")
    expect(weights(env) == {A: ("up", 60), B: ("up", 40), C: ("standby", 0)}, weights(env))
    ids = {b: x["id"] for b, x in env.backends().items()}
    print("ok   first generation: priority 10 takes traffic 60/40, priority 20 stands by")

    # the zone changes: followed within the TTL
    with open(zone_file, "w") as f:
        f.write(ZONE_V2)
    unbound.send_signal(signal.SIGHUP)
    took = timed(env, lambda: set(env.backends()) == {A, C, D}, TTL + SLACK + 0.3,
                 "the new answer")
    got = env.backends()
    expect(got[A]["id"] == ids[A] and got[C]["id"] == ids[C] and
           weights(env) == {A: ("up", 60), D: ("up", 40), C: ("standby", 0)},
           f"ids kept, weights: {weights(env)}")
    print(f"ok   zone changed: b gone, d in after {took:.2f} s (TTL {TTL} s), ids kept")

    # the upper group down: the lower one takes over, and gives back
    env.kill(uas[A])
    env.kill(uas[D])
    took = timed(env, lambda: weights(env)[C] == ("up", 10), 2 * INTERVAL + SLACK,
                 "priority 20 in service")
    expect(weights(env)[A][0] == "down" and weights(env)[D][0] == "down", weights(env))
    print(f"ok   priority 10 down: priority 20 up after {took:.2f} s")
    uas[A] = env.uas("127.0.0.11")
    wait_until(lambda: weights(env)[A] == ("up", 60), RISE * INTERVAL + SLACK, "a back")
    expect(weights(env)[C] == ("standby", 0), weights(env))
    print("ok   a back: priority 10 takes traffic again, 20 stands by")

    # the server gone: the last answer stays, the failure is counted
    env.kill(unbound)
    mark = len(env.log())
    env.wait_log(r"warning siplbd: DNS failure, the last good answer stays: pool=core "
                 r"backends=3 reason=\"SRV _sip._udp.example.net: ", seconds=TTL + 3, after=mark)
    wait_until(lambda: env.metrics().get(("siplb_dns_failures_total",
                                          frozenset({("pool", "core")})), 0) >= 1, 3,
               "siplb_dns_failures_total{pool=core} >= 1")
    expect(set(env.backends()) == {A, C, D}, env.backends())
    print("ok   unbound stopped: failure logged and counted, the backends stay")


# ---- siplbctl -----------------------------------------------------------------------------

CTL_POOLS = """pools = (
  { name = "core";
    backends = ( { address = "127.0.0.11"; port = 5060; weight = 50; },
                 { address = "127.0.0.12"; port = 5060; weight = 30; } );
    %s
  },
  { name = "edge"; backends = ( { address = "127.0.0.21"; port = 5060; weight = 10; } ); }
);
""" % PROBING


def change(env, args, check, what):
    """A change: one new generation, the published backends as check says."""
    g0, _ = env.published()
    rc, out, err = env.ctl(*args)
    expect(rc == 0, f"siplbctl {' '.join(args)}: exit {rc}: {err}")
    g1, pub = env.published()
    expect(g1 == g0 + 1 and check(pub), f"{what}: generation {g0} -> {g1}, published {pub}")
    print(f"ok   {' '.join(args)}: generation {g1}, {what}")
    return out


def ctl_reads(env):
    st = env.ctl_json("status")
    g, _ = env.published()
    expect(st["generation"] == g and st["backends"] == 3 and st["vips"] == 1 and
           st["pools"] == 2 and st["config"] == env.conf and st["bpffs"] == env.bpffs, st)
    pools = {p["name"]: p for p in env.ctl_json("pool", "list")["pools"]}
    expect(pools["core"]["table_size"] == 251 and pools["core"]["up"] == 2 and
           pools["core"]["weight_total"] == 80 and pools["core"]["vips"] == ["sip"] and
           pools["edge"]["vips"] == [], pools)
    vips = env.ctl_json("vip", "list")["vips"]
    expect(len(vips) == 1 and vips[0]["vip"] == "192.0.2.100:5060" and vips[0]["mode"] == "proxy",
           vips)
    expect(env.ctl_json("stats")["generation"] == g, "stats: the generation")
    wait_until(lambda: all_answered(env, 2), 3, "health: a 200 from both core backends")
    rc, raw, _ = env.ctl("--json", "health")
    lat = re.findall(r'"latency_seconds":([^,}]*)', raw)
    expect(rc == 0 and len(lat) == 2 and all(re.fullmatch(r"0\.\d{6}", x) for x in lat) and
           '"reason":"200 OK"' in raw, f"health --json: latencies as exact microseconds, "
           f"the first answer as the reason of an up backend: {raw}")
    rc, out, _ = env.ctl("backend", "list", "core")
    expect(rc == 0 and out.startswith("POOL  ID  BACKEND ") and "127.0.0.11:5060" in out and
           "127.0.0.21" not in out, out)
    print("ok   status, pool list, vip list, stats, health, backend list: as published")


def ctl_changes(env):
    E1, E2 = "127.0.0.21:5060", "127.0.0.22:5060"
    change(env, ["backend", "add", "edge", "127.0.0.22", "--weight", "5"],
           lambda p: p[E2]["effective_weight"] == 5 and p[E2]["state"] == "up",
           "added with weight 5")
    change(env, ["backend", "set", "edge", "127.0.0.22", "--weight", "7"],
           lambda p: p[E2]["effective_weight"] == 7, "weight 7")
    change(env, ["backend", "set", "edge", "127.0.0.22", "--priority", "1"],
           lambda p: p[E2]["state"] == "standby" and p[E1]["state"] == "up",
           "priority 1: standby while priority 0 is up")
    out = change(env, ["backend", "drain", "edge", "127.0.0.21"],
                 lambda p: p[E1]["state"] == "draining" and p[E2] == dict(p[E2], state="up",
                                                                          effective_weight=7),
                 "drained: priority 1 takes over")
    expect("state draining (admin draining, health up)" in out, out)
    change(env, ["backend", "disable", "core", "127.0.0.11"],
           lambda p: p[A]["state"] == "disabled" and p[A]["effective_weight"] == 0, "disabled")
    change(env, ["backend", "enable", "core", "127.0.0.11"],
           lambda p: p[A]["state"] == "up" and p[A]["effective_weight"] == 50, "enabled")
    change(env, ["backend", "remove", "edge", "127.0.0.22"], lambda p: E2 not in p, "removed")
    change(env, ["backend", "add", "edge", "127.0.0.23:5070"],
           lambda p: p["127.0.0.23:5070"]["effective_weight"] == 1, "added, weight 1 by default")


def ctl_probing(env):
    """backend add in a probed pool: probing, no calls until `rise` good
    probes; one that never answers never gets any; --up: up at once."""
    env.uas("127.0.0.13")
    t0 = time.monotonic()
    change(env, ["backend", "add", "core", "127.0.0.13"],
           lambda p: p[C]["state"] == "probing" and p[C]["effective_weight"] == 0,
           "added to a probed pool: probing, out of the table")
    wait_until(lambda: env.published()[1][C]["state"] == "up", RISE * INTERVAL + TIMEOUT + SLACK,
               "the added backend up after its probes")
    took = time.monotonic() - t0
    expect(took >= (RISE - 1) * INTERVAL - 0.1, f"up {took:.2f} s after the add: before {RISE} "
           "probes")
    expect(env.backends()[C]["effective_weight"] == 1, "up: in the table")
    rc, out, err = env.ctl("backend", "add", "core", "127.0.0.14")  # nobody there: ICMP
    expect(rc == 0 and "state probing (admin enabled, health probing)" in out, f"{out}{err}")
    for _ in range(int((RISE * INTERVAL + TIMEOUT) / 0.1)):
        expect(env.published()[1][D]["state"] in ("probing", "down"), "up without answers")
        time.sleep(0.1)
    change(env, ["backend", "remove", "core", "127.0.0.14"], lambda p: D not in p, "removed")
    out = change(env, ["backend", "add", "core", "127.0.0.14", "--up"],
                 lambda p: p[D]["state"] == "up", "--up: up at once")
    expect("state up (admin enabled, health up)" in out, out)
    wait_until(lambda: env.published()[1][D]["state"] == "down",
               FALL * INTERVAL + TIMEOUT + SLACK, "--up, silent: down after fall")
    for b in ("127.0.0.13", "127.0.0.14"):
        change(env, ["backend", "remove", "core", b], lambda p: True, "removed")
    rc, _, err = env.ctl("backend", "drain", "core", "127.0.0.11", "--up")
    expect(rc == 64 and "--up goes with backend add" in err, err)
    print("ok   backend add: probing until rise good probes; --up: up at once")


def ctl_refusals(env):
    refused(env, ["backend", "list", "nope"], "Not found", "no pool 'nope'")
    refused(env, ["backend", "drain", "core", "127.0.0.99"], "Not found",
            "no backend 127.0.0.99:5060 in pool core")
    refused(env, ["backend", "add", "core", "127.0.0.11"], "Already exists",
            "pool core has backend 127.0.0.11:5060 already")
    refused(env, ["backend", "add", "edge", "[::1]:5060"], "Invalid params",
            "pool edge is IPv4: an IPv4 backend expected")
    refused(env, ["backend", "add", "edge", "300.1.1.1"], "Invalid params", "not an IPv4 or IPv6")
    refused(env, ["backend", "add", "edge", "127.0.0.24", "--weight", "70000"], "Invalid params",
            "weight: 70000 out of range 0..65535")
    for params, code, text in (
            ({"pool": "edge", "backend": "127.0.0.21"}, -32602, "nothing to set"),
            ({"pool": "edge", "backend": "127.0.0.21", "wieght": 3}, -32602,
             "unknown param 'wieght'"),
            ({"pool": "edge", "backend": "127.0.0.21", "weight": "3"}, -32602,
             "weight: an integer expected")):
        g0, pub0 = env.published()
        r = env.rpc("backend.set", params)
        expect(r.get("error", {}).get("code") == code and
               text in r["error"]["data"]["reason"] and env.published() == (g0, pub0), r)
        print(f"ok   backend.set {params}: refused ({r['error']['data']['reason']})")
    bad = env.write("bad.conf", "pools = 1;\n")
    refused(env, ["config", "validate", bad], "Invalid configuration",
            f"{bad}:1: 'pools' must be a list")
    refused(env, ["config", "reload", bad], "Invalid configuration",
            f"{bad}:1: 'pools' must be a list")
    bigger = env.config(HEAD.replace("capacity = 1000", "capacity = 2000") + CTL_POOLS,
                        name="bigger.conf")
    refused(env, ["config", "reload", bigger], "Invalid configuration",
            "maglev.capacity changed, which needs a restart of siplbd and siplb-dp")


def ctl_file(env):
    """validate, reload (the drain and the run-time addition stay), SIGHUP."""
    g0, _ = env.published()
    rc, out, _ = env.ctl("config", "validate", env.conf)
    expect(rc == 0 and out.startswith(f"{env.conf}: ok") and env.published()[0] == g0, out)
    print("ok   config validate: ok, nothing published")
    with open(env.conf) as f:
        text = f.read()
    env.write(os.path.basename(env.conf), text.replace("weight = 10;", "weight = 12;"))
    change(env, ["config", "reload"],
           lambda p: p["127.0.0.21:5060"]["state"] == "draining" and
           p["127.0.0.23:5070"]["effective_weight"] == 1 and p[A]["effective_weight"] == 50,
           "the file again, with the run-time changes over it: drain and addition kept")
    expect(env.backends()["127.0.0.21:5060"]["weight"] == 12, "the file's new weight")
    env.write("bad-later.conf", "vips = (\n")
    mark = len(env.log())
    os.replace(os.path.join(env.work, "bad-later.conf"), env.conf)
    env.siplbd.send_signal(signal.SIGHUP)
    env.wait_log(rf"reload: {re.escape(env.conf)}:\d+: .*; generation {env.published()[0]} "
                 "stays", after=mark)
    rc, _, err = env.ctl("config", "reload")
    expect(rc == 1 and f"{env.conf}:" in err, err)
    print("ok   SIGHUP and config.reload: the same refusal of a broken file")
    env.write(os.path.basename(env.conf), text.replace("weight = 10;", "weight = 12;"))


STATE = {"version": 1, "overrides": [
    {"pool": "edge", "backend": "127.0.0.21:5060", "admin": "draining"},
    {"pool": "edge", "backend": "127.0.0.23:5070", "change": "added", "weight": 1,
     "priority": 0}]}


def by_backend(state):
    return sorted(state["overrides"], key=lambda o: o["backend"])


def ctl_state(env):
    """The run-time changes in the state file, config diff, a one-off and a
    --set-default reload, a restart that keeps them, hostile state files
    that stop nothing but the start, state clear."""
    state_file = env.conf[:-len(".conf")] + ".state"
    with open(state_file) as f:
        kept = json.load(f)
    diff = env.ctl_json("config", "diff")
    expect(by_backend(kept) == by_backend(STATE) and diff["state_file"] == state_file and
           [o["backend"] for o in by_backend(diff)] == ["127.0.0.21:5060", "127.0.0.23:5070"],
           f"state file {kept}, config diff {diff}")
    rc, out, _ = env.ctl("config", "diff")
    expect(rc == 0 and re.search(r"^edge +127\.0\.0\.23:5070 +added +1 +0 +- +- +-$", out, re.M),
           out)
    change(env, ["backend", "set", "core", "127.0.0.11", "--weight", "70"],
           lambda p: p[A]["effective_weight"] == 70, "a weight set at run time")
    with open(env.conf) as f:
        text = f.read()
    other = env.write("other.conf", text.replace("weight = 30;", "weight = 31;"))
    rc, out, _ = env.ctl("config", "reload", other)
    st = env.ctl_json("status")
    expect(rc == 0 and "once: SIGHUP and config reload read " + env.conf in out and
           st["config"] == env.conf and st["published_from"] == other and
           env.backends()[B]["weight"] == 31 and env.backends()[A]["weight"] == 70, f"{out} {st}")
    change(env, ["config", "reload"], lambda p: p[B]["effective_weight"] == 30 and
           p[A]["effective_weight"] == 70, "a reload after a one-off: the default file again")
    rc, out, _ = env.ctl("config", "reload", other, "--set-default")
    expect(rc == 0 and env.ctl_json("status")["config"] == other and "once" not in out, out)
    rc, _, _ = env.ctl("config", "reload", env.conf, "--set-default")
    print("ok   config reload FILE: once; --set-default: the file of later reloads")
    rule = '{ match = { method = "OPTIONS"; }; action = "reply 404 Not Here"; }'
    rc, _, err = env.ctl("rule", "add", "sip", rule)
    with open(state_file) as f:
        kept = json.load(f)
    rc2, out, _ = env.ctl("config", "diff")
    expect(rc == 0 and kept["rules"] == [{"vip": "sip", "rules": [{"rule": rule,
                                                                   "origin": "runtime"}]}] and
           "vip sip: its 1 routing rules are kept from run time" in out, f"{err} {kept} {out}")
    # A restart (kill -9: nothing flushed on the way out) keeps them all.
    env.siplbd.kill()
    env.siplbd.wait(timeout=10)
    env.start_siplbd(env.conf)
    _, pub = env.published()
    rules = env.ctl_json("rule", "list", "sip")["rules"]
    expect(pub[A]["effective_weight"] == 70 and pub["127.0.0.21:5060"]["state"] == "draining" and
           pub["127.0.0.23:5070"]["state"] == "up" and
           [(r["rule"], r["origin"]) for r in rules] == [(rule, "runtime")],
           f"after a restart: {pub} {rules}")
    print("ok   restart: the weight set, the drain, the backend and the rule added are kept")
    # A state file that cannot be written: the change is refused, nothing moves.
    os.rename(state_file, state_file + ".aside")
    os.mkdir(state_file)
    refused(env, ["backend", "drain", "core", "127.0.0.12"], "Publish failed",
            f"state file {state_file}: Is a directory")
    os.rmdir(state_file)
    os.rename(state_file + ".aside", state_file)
    hostile(env, state_file)
    rc, out, _ = env.ctl("state", "clear")
    _, pub = env.published()
    expect(rc == 0 and "4 run-time changes forgotten" in out and pub[A]["effective_weight"] == 50
           and "127.0.0.23:5070" not in pub and pub["127.0.0.21:5060"]["state"] == "up" and
           env.ctl_json("config", "diff")["overrides"] == [] and
           env.ctl_json("config", "diff")["rules"] == [] and
           env.ctl_json("rule", "list", "sip")["rules"] == [], f"{out} {pub}")
    print("ok   state clear: the file as it is")


def hostile(env, state_file):
    """Bad state files: siplbd says why and does not start; the maps keep
    what runs. siplbd --check says the same."""
    with open(state_file) as f:
        good = f.read()
    env.stop_siplbd()
    g0, pub0 = env.published()
    for text, why in (("{", "not JSON"), ('{"version": 2, "overrides": []}', "version 1"),
                      ('{"version": 1, "overrides": [{"pool": "core", "backend": "127.0.0.11",'
                       ' "change": "set", "weight": 70000}]}', "weight: 70000 out of range"),
                      ('{"version": 1, "overrides": [{"pool": "../x", "backend": "127.0.0.1",'
                       ' "admin": "draining"}]}', "pool: a pool's name expected"),
                      ('{"version": 1, "overrides": [{"pool": "core", "backend": "127.0.0.11",'
                       ' "admin": "draining", "exec": "rm -rf /"}]}', "unknown member 'exec'"),
                      (None, "not a regular file")):
        if text is None:
            os.remove(state_file)
            os.mkfifo(state_file)
        else:
            env.write(os.path.basename(state_file), text)
        p = env.spawn("siplbd-bad", env.tools["siplbd"], "--config", env.conf)
        rc = p.wait(timeout=20)
        with open(p.log_path) as f:
            log = f.read()
        expect(rc == 1 and f"{state_file}: " in log and why in log and
               env.published() == (g0, pub0), f"state file {text!r}: exit {rc}: {log}")
        chk = subprocess.run([env.tools["siplbd"], "--config", env.conf, "--check"],
                             capture_output=True, text=True, timeout=20)
        expect(chk.returncode == 1 and why in chk.stderr, f"--check: {chk.stderr}")
    os.remove(state_file)
    env.write(os.path.basename(state_file), good)
    env.start_siplbd(env.conf)
    print("ok   hostile state files: refused with the reason, nothing published")


HOOK = """#!/bin/sh
# siplbd's hook (hooks.backend_state): the event's environment, then a hang
# for one backend (siplbd must kill it after hooks.timeout, not wait).
env | grep '^SIPLB_' | sort > {dir}/hook.$$.tmp
echo "PID=$$" >> {dir}/hook.$$.tmp
mv {dir}/hook.$$.tmp {dir}/hook.$$
[ "$SIPLB_BACKEND" = "127.0.0.12:5060" ] && exec sleep 3600
exit 0
"""


def hook_events(env):
    """Every event the hook wrote, as dicts, oldest first."""
    d = os.path.join(env.work, "hooks")
    got = []
    for name in sorted(os.listdir(d), key=lambda n: os.stat(os.path.join(d, n)).st_mtime_ns):
        if not name.endswith(".tmp"):
            with open(os.path.join(d, name)) as f:
                got.append(dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line))
    return got


def hooked(env, n, what):
    wait_until(lambda: len(hook_events(env)) >= n, 5, what)
    return hook_events(env)[n - 1]


def ctl_hooks(env):
    """A drain and an enable run the hook with the event in its environment;
    hooks that hang do not hold siplbd (it answers at once), are killed after
    hooks.timeout with their process group, and the event queued behind
    them runs then."""
    rc, _, err = env.ctl("backend", "drain", "core", "127.0.0.11")
    ev = hooked(env, 1, "the hook of a drain")
    expect(rc == 0 and ev["SIPLB_EVENT"] == "backend_state" and ev["SIPLB_POOL"] == "core" and
           ev["SIPLB_BACKEND"] == A and ev["SIPLB_STATE"] == "draining" and
           ev["SIPLB_PREVIOUS_STATE"] == "up" and "backend.drain core" in ev["SIPLB_REASON"] and
           int(ev["SIPLB_GENERATION"]) == env.published()[0], f"{err} {ev}")
    env.ctl("backend", "enable", "core", "127.0.0.11")
    ev = hooked(env, 2, "the hook of an enable")
    expect(ev["SIPLB_STATE"] == "up" and ev["SIPLB_PREVIOUS_STATE"] == "draining", ev)
    print("ok   hooks: drain and enable run the hook with the event in its environment")
    mark = len(env.log())
    t0 = time.monotonic()
    for args in (("disable", B), ("enable", B), ("drain", A)):  # two hang, the third waits
        rc, _, err = env.ctl("backend", args[0], "core", args[1].split(":")[0])
        expect(rc == 0, err)
    took = time.monotonic() - t0
    expect(took < 2 and len(hook_events(env)) <= 4, f"siplbd held by its hooks: {took:.2f} s")
    hung = [hooked(env, 3, "a hanging hook"), hooked(env, 4, "a second one")]
    env.wait_log(r"hook killed: pid=\d+ timeout=1\.0s", after=mark)
    ev = hooked(env, 5, "the queued event, once a slot is free")
    expect(ev["SIPLB_BACKEND"] == A and ev["SIPLB_STATE"] == "draining", ev)
    wait_until(lambda: not any(os.path.exists(f"/proc/{h['PID']}") for h in hung), 5,
               "the hung hooks killed")
    env.ctl("backend", "enable", "core", "127.0.0.11")
    hooked(env, 6, "the last enable")
    print(f"ok   hooks that hang: siplbd answered 3 changes in {took:.2f} s, killed them after "
          "1 s, ran the queued one")


def ctl(env):
    env.uas("127.0.0.11")
    env.uas("127.0.0.12")
    os.mkdir(os.path.join(env.work, "hooks"))
    hook = env.write("hook.sh", HOOK.format(dir=os.path.join(env.work, "hooks")))
    os.chmod(hook, 0o755)
    env.conf = env.config(HEAD + CTL_POOLS + f"""
hooks = {{ backend_state = "{hook}"; timeout = 1; max_running = 2; }};
""")
    env.start_siplbd(env.conf)
    ctl_reads(env)
    ctl_hooks(env)
    ctl_changes(env)
    ctl_probing(env)
    ctl_refusals(env)
    ctl_file(env)
    ctl_state(env)


# ---- metrics and passive health, with siplb-dp -----------------------------------------------

DP_PORT, VIP, CLIENT = "net_pcap0", "192.0.2.100", "198.51.100.10"

INVITE = """INVITE sip:bob@example.net SIP/2.0
Via: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK{n}x
Max-Forwards: 70
From: <sip:alice@example.net>;tag={n}
To: <sip:bob@example.net>
Call-ID: live-{n}@198.51.100.10
CSeq: 1 INVITE
Content-Length: 0

"""
# A backend's answer to an INVITE as siplb-dp forwarded it: siplb's Via
# (its branch proves the response and names the backend: dataplane/
# sip_proxy.c) and the client's, copied.
OK = """SIP/2.0 200 OK
{vias}
From: <sip:alice@example.net>;tag={n}
To: <sip:bob@example.net>;tag=b{n}
Call-ID: live-{n}@198.51.100.10
CSeq: 1 INVITE
Content-Length: 0

"""


TICK = 1.2  # siplbd samples the counters every second
# Passive health's silence: long enough that A's answers, relayed by a
# second siplb-dp run after the requests' (its start takes 1-3 s on a
# loaded machine), come before A is judged silent (with 1 s, A was taken
# down first under load and B spared as the last one up).
SILENCE = 4


def sip(text):
    return text.replace("\n", "\r\n").encode()


def forward(env, invites, tag="dp"):
    """siplb-dp forwards invites (numbers) from a pcap file and exits when
    it has read them; what it sent, as {n: (backend address, Via lines)}."""
    frames = [golden.frame(golden.NEXT_HOP_MAC, golden.PEER_MAC, CLIENT, 5062, VIP, 5060,
                           sip(INVITE.format(n=n)), i, 64) for i, n in enumerate(invites)]
    out = {}
    for fr in run_dp_pcap(env, frames, tag):
        text = fr[42:].decode()
        n = int(re.search(r"Call-ID: live-(\d+)@", text).group(1))
        vias = [line for line in text.split("\r\n") if line.startswith("Via:")]
        out[n] = (".".join(str(b) for b in fr[30:34]), "\n".join(vias))
    return out


def answer(env, forwarded, who, count, tag):
    """The first count INVITEs forwarded to who (address) answered by it."""
    mine = [(n, vias) for n, (dst, vias) in sorted(forwarded.items()) if dst == who][:count]
    expect(len(mine) == count, f"{count} INVITEs forwarded to {who}: {forwarded}")
    frames = [golden.frame(golden.NEXT_HOP_MAC, golden.PEER_MAC, who, 5060, VIP, 5060,
                           sip(OK.format(n=n, vias=vias)), 1000 + n, 64) for n, vias in mine]
    relayed = run_dp_pcap(env, frames, tag)
    expect(len(relayed) == count, f"{len(relayed)} of {count} answers relayed")


def run_dp_pcap(env, frames, tag):
    """Runs siplb-dp over frames (a pcap file); the frames it sent."""
    pcap_in = os.path.join(env.work, tag + ".in.pcap")
    golden.write_pcap(pcap_in, frames)
    prefix = f"siplb-live-{os.getpid()}"
    try:
        p = subprocess.run([env.tools["siplb_dp"], "--no-huge", "--no-pci", "-l", "0",
                            "--file-prefix", prefix, "--vdev",
                            f"{DP_PORT},rx_pcap={pcap_in},tx_pcap={pcap_in[:-7]}out.pcap", "--",
                            "--config", env.conf, "--bpffs", env.bpffs, "--static-mac",
                            f"{DP_PORT}={golden.NEXT_HOP_MAC}", "--exit-when-idle", "500"],
                           capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run(["rm", "-rf", "/var/run/dpdk/" + prefix])
    expect(p.returncode == 0, f"siplb-dp: exit {p.returncode}: {p.stdout}{p.stderr}")
    return golden.read_pcap(pcap_in[:-7] + "out.pcap")


def sample(m, name, **labels):
    return m.get((name, frozenset(labels.items())))


def metrics_counters(env):
    """40 INVITEs, 3 answers from A: the counters on /metrics."""
    time.sleep(TICK)  # passive health's first sample is its baseline
    answer(env, forward(env, range(40)), A.split(":")[0], 3, "dp-answers")
    s = env.stats()
    per = {f"{b['address']}:{b['port']}": b for b in s["backends"]}
    expect(s["vips"][0]["msgs"] == 40 and per[A]["msgs"] + per[B]["msgs"] == 40 and
           per[A]["msgs"] >= 5 and per[B]["msgs"] >= 5 and per[A]["responses"] == 3 and
           per[A]["finals"] == 3 and per[B]["responses"] == 0, f"counters: {s}")
    wait_until(lambda: sample(env.metrics(), "siplb_vip_messages_total", vip="sip",
                              pool="core") == 40, 3, "/metrics: 40 requests to sip")
    # the answers came in a later siplb-dp run: the next sample has them
    wait_until(lambda: sample(env.metrics(), "siplb_responses_relayed_total") == 3, 3,
               "/metrics: 3 responses relayed")
    m = env.metrics()
    for b in (A, B):
        expect(sample(m, "siplb_backend_messages_total", pool="core", backend=b) ==
               per[b]["msgs"], f"/metrics: {b}'s requests")
    print(f"ok   /metrics: 40 requests to sip, {per[A]['msgs']} to {A}, {per[B]['msgs']} to "
          f"{B}, 3 responses relayed")
    return per[B]["msgs"]


def passive(env, unanswered):
    """B never answered: passive health takes it down, its probes bring it back."""
    # silence 4 s, measured from the sample that saw the requests: one
    # sampling period (1 s) late at most
    env.wait_log(rf"health up -> down: pool=core backend=127\.0\.0\.12:5060 id=\d+ "
                 rf"reason=\"passive: {unanswered} requests, no response in [45]\.\d s\"",
                 seconds=SILENCE + 3)
    wait_until(lambda: state_of(env.metrics(), "core", B) in ("down", "probing"), 3,
               f"/metrics: {B} down")
    expect(env.backends()[A]["state"] == "up", "A, which answered, stays up")
    took = timed(env, lambda: env.backends()[B]["state"] == "up", RISE * 1 + 1 + SLACK,
                 f"{B} back through its probes")
    wait_until(lambda: state_of(env.metrics(), "core", B) == "up", 3, f"/metrics: {B} up")
    print(f"ok   passive: {B} down for {unanswered} unanswered requests, back after "
          f"{took:.2f} s by its probes")


def last_up(env):
    """A disabled, B the only one up: a passive verdict leaves it up."""
    env.ctl_json("backend", "disable", "core", "127.0.0.11")
    mark = len(env.log())
    time.sleep(TICK)  # B's memory, reset when it came back, has its baseline
    forward(env, range(100, 120), tag="dp2")
    env.wait_log(r"backend left up, the last up in its pool: pool=core "
                 r"backend=127\.0\.0\.12:5060 id=\d+ reason=\"passive: 20 requests, no "
                 r"response in [45]\.\d s\"", seconds=SILENCE + 3, after=mark)
    expect(env.backends()[B]["state"] == "up" and "down" not in env.log()[mark:], env.log()[mark:])
    print("ok   passive spares the last backend up of a pool")


def rule_counters(env):
    """A rule added at run time drops what it matches in siplb-dp: its hits in
    siplbctl rule list, siplbctl stats and /metrics, the drops by reason."""
    rule = '{ match = { header = { name = "Call-ID"; prefix = "live-2"; }; }; action = "drop"; }'
    added = env.ctl_json("rule", "add", "sip", rule)
    expect(added["index"] == 0 and added["origin"] == "runtime" and added["hits"] == 0, added)
    sent = forward(env, list(range(200, 210)) + list(range(300, 305)), tag="dp-rule")
    expect(sorted(sent) == list(range(300, 305)), f"only live-3xx forwarded: {sorted(sent)}")
    listed = env.ctl_json("rule", "list", "sip")["rules"]
    stats = env.stats()
    expect(len(listed) == 1 and listed[0]["hits"] == 10 and stats["drops"]["rule"] == 10 and
           [r["hits"] for r in stats["rules"] if r["vip"] == "sip"] == [10],
           f"10 hits, 10 drops: {listed} {stats['drops']} {stats.get('rules')}")
    wait_until(lambda: sample(env.metrics(), "siplb_rule_matches_total", vip="sip", rule="0")
               == 10, 3, "/metrics: rule 0 of sip matched 10")
    m = env.metrics()
    expect(sample(m, "siplb_drops_total", reason="rule") == 10 and
           sample(m, "siplb_xdp_drops_total", reason="rule") == 0, "/metrics: 10 drops, in "
           "siplb-dp (the pcap port has no XDP program)")
    print("ok   a run-time rule: 10 dropped in siplb-dp, 10 hits in rule list, stats, /metrics")


def metrics(env):
    env.uas("127.0.0.11")
    env.uas("127.0.0.12")
    env.conf = env.config(HEAD + f"""
branch_seed = "0x5eedc0de";
dataplane = {{ ports = ( {{ name = "{DP_PORT}"; address = "192.0.2.1"; prefix = 24; }} ); }};
pools = ( {{ name = "core";
  backends = ( {{ address = "127.0.0.11"; port = 5060; weight = 50; }},
               {{ address = "127.0.0.12"; port = 5060; weight = 50; }} );
  probing = {{ interval = 1; timeout = 0.5; rise = 2; fall = 3; }};
  passive = {{ silence = {SILENCE}; min_requests = 5; window = 0; }};
}} );
""")
    env.start_siplbd(env.conf)
    wait_until(lambda: all_answered(env, 2), 3, "a 200 from both backends")
    m = env.metrics()
    expect(sample(m, "siplb_vip_messages_total", vip="sip", pool="core") == 0 and
           state_of(m, "core", A) == "up", "/metrics before any traffic")
    unanswered = metrics_counters(env)
    passive(env, unanswered)
    last_up(env)
    rule_counters(env)


TESTS = {"health": health, "srv": srv, "ctl": ctl, "metrics": metrics}

if __name__ == "__main__":
    try:
        sys.exit(main(TESTS, sys.argv))
    except Failure as e:
        print(f"FAIL: {e}")
        sys.exit(1)
