#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""siplbctl against rpc_test_server (the control socket library with
siplbd's model and methods behind it, tests/rpc/siplbd_fixture.h): every
command, its table and its --json, the errors siplbd gives, usage errors
(exit 64) and connection problems (exit 2). Needs root (exit 77 without).

  test_siplbctl.py SIPLBCTL RPC_TEST_SERVER CONFIG_DIR
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import FAILURES, check, exit_status  # noqa: E402

CTL, SERVER, CONFIGS = (os.path.abspath(a) for a in sys.argv[1:4])


class Server:
    """An rpc_test_server on a socket of its own; stops at the end of `with`."""

    def __init__(self, sock, *args):
        self.p = subprocess.Popen([SERVER, "--socket", sock, *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if line == "skip\n":
            print(f"SKIP: {self.p.stderr.read().strip()}")
            sys.exit(77)
        if line != "ready\n":
            raise RuntimeError(f"server did not start: {line!r} {self.p.stderr.read()}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        self.p.wait(timeout=10)


def ctl(*args, sock=None, cwd=None, timeout=20):
    env = dict(os.environ)
    env.pop("SIPLB_SOCKET", None)
    if sock:
        env["SIPLB_SOCKET"] = sock
    return subprocess.run([CTL, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)


def expect_ok(p, what):
    check(p.returncode == 0 and not p.stderr, f"{what}: exit {p.returncode}, {p.stderr!r}")
    return p.stdout


def expect_fail(p, code, words, what):
    check(p.returncode == code and words in p.stderr and not p.stdout,
          f"{what}: exit {p.returncode} (want {code}), stderr {p.stderr!r} lacks {words!r}")


VIPS = """\
NAME     VIP               MODE   POOL  RECORD-ROUTE  MSGS    BYTES
sip      192.0.2.100:5060  proxy  core  yes           1000   500000
sip-alt  192.0.2.100:5080  proxy  core  no            2000  1000000
edge     192.0.2.101:5060  dsr    edge  -             3000  1500000
"""

POOLS = """\
POOL  BACKENDS  UP  WEIGHT  TABLE  SEED  VIPS
core         3   3     100    251  0x1   sip,sip-alt
edge         2   0       0      0  0x0   edge
"""

CORE = """\
POOL  ID  BACKEND          WEIGHT  EFFECTIVE  PRIORITY  STATE  ADMIN    HEALTH  MSGS   BYTES
core   0  192.0.2.21:5060      50         50         5  up     enabled  up       100   50000
core   1  192.0.2.22:5060      30         30         5  up     enabled  up       200  100000
core   2  192.0.2.23:5062      20         20         5  up     enabled  up       300  150000
"""

# The probed pool's backends; no probe has gone out yet (the SINCE column,
# seconds since the server started, is masked).
HEALTH = """\
POOL  ID  BACKEND             HEALTH  since  LATENCY  CODE  PROBES  TIMEOUTS  REASON
edge   3  198.51.100.10:5060  down    since        -     -       0         0  3 timeouts
edge   4  198.51.100.11:5060  up      since        -     -       0         0  up until probes say otherwise
"""  # noqa: E501


def mask_since(table):
    """The health table with its SINCE column (5 wide, right-aligned) as "since"."""
    lines = table.splitlines(keepends=True)
    end = lines[0].index("SINCE") + 5 if lines else 0
    return "".join(line[:end - 5] + "since" + line[end:] for line in lines)


def test_lists(s):
    out = expect_ok(ctl("status", sock=s), "status")
    check(re.search(r"^generation: +2$", out, re.M) and
          re.search(r"^backends_up: +3$", out, re.M) and
          re.search(r"^uptime_seconds: \d+$", out, re.M), f"status: {out}")
    check(expect_ok(ctl("vip", "list", sock=s), "vip list") == VIPS, "vip list table")
    check(expect_ok(ctl("pool", "list", sock=s), "pool list") == POOLS, "pool list table")
    check(expect_ok(ctl("backend", "list", "core", sock=s), "backend list core") == CORE,
          "backend list core table")
    out = expect_ok(ctl("backend", "list", sock=s), "backend list")
    check(len(out.splitlines()) == 6 and "198.51.100.11:5060       0" in out, out)
    check(mask_since(expect_ok(ctl("health", sock=s), "health")) == HEALTH, "health table")
    out = expect_ok(ctl("stats", sock=s), "stats")
    check("\nreplies:     483 1, 503 2, 513 0, rule 0, rule_rate 0\n" in out and
          "\nkeepalives:  7\n" in out and "sip-alt  192.0.2.100  5080  2000  1000000\n" in out,
          f"stats: {out}")
    # The XDP program's counters as text and tables, no JSON; both weights.
    check("{" not in out and "\nxdp verdicts:    steer 0, dsr 0, pass 0, drop 0\n" in out and
          "\nxdp drop:        blocked 0, source_rate 0," in out and
          re.search(r"^XDP-BACKEND +POOL +ADDRESS +PORT +PKTS +BYTES\n +3 +edge +198\.51\.100\.10 "
                    r"+5060 +0 +0$", out, re.M) and
          re.search(r"^ID +POOL +ADDRESS +PORT +STATE +WEIGHT +EFFECTIVE +MSGS +BYTES\n"
                    r" +0 +core +192\.0\.2\.21 +5060 +up +50 +50 +100 +50000$", out, re.M) and
          re.search(r"^ +3 +edge +198\.51\.100\.10 +5060 +down +10 +0 +400 +200000$", out, re.M),
          f"stats: xdp and weights: {out}")
    expect_fail(ctl("backend", "list", "nope", sock=s), 1,
                "siplbctl: backend.list: Not found: no pool 'nope' (pool.list lists them)\n",
                "unknown pool")


def test_json(s):
    """--json prints the raw result, whether it comes before or after the command."""
    for args in (["--json", "backend", "list", "edge"], ["backend", "list", "edge", "--json"]):
        r = json.loads(expect_ok(ctl(*args, sock=s), " ".join(args)))
        check([b["state"] for b in r["backends"]] == ["down", "draining"] and
              r["backends"][0]["backend"] == "198.51.100.10:5060", f"{args}: {r}")
    r = json.loads(expect_ok(ctl("--json", "stats", sock=s), "stats --json"))
    check(r["drops"]["tx_full"] == 6 and r["malformed"]["no_call_id"] == 16 and
          r["backends"][3]["state"] == "down", f"stats --json: {r}")
    r = json.loads(expect_ok(ctl("--json", "health", sock=s), "health --json"))
    check(r["backends"][0]["latency_seconds"] is None and r["backends"][0]["last_code"] is None
          and r["backends"][1]["health"] == "up" and
          r["backends"][0]["reason"] == "3 timeouts", f"health --json: {r}")
    expect_fail(ctl("--json", "backend", "drain", "core", "192.0.2.99", sock=s), 1,
                "Not found: no backend 192.0.2.99:5060 in pool core", "errors go to stderr")


def test_changes(s):
    line = "core 192.0.2.30:5070: id 5, weight {w}, priority 2, state {st} (admin {a}, health up)\n"
    out = expect_ok(ctl("backend", "add", "core", "192.0.2.30:5070", "--weight", "5",
                        "--priority", "2", sock=s), "backend add")
    check(out == line.format(w=5, st="up", a="enabled"), f"add: {out!r}")
    # priority 2 takes the calls: the priority 5 group stands by, as such.
    r = json.loads(expect_ok(ctl("--json", "backend", "list", "core", sock=s), "list"))
    st = json.loads(expect_ok(ctl("--json", "stats", sock=s), "stats"))
    check([(b["state"], b["effective_weight"]) for b in r["backends"]] ==
          [("standby", 0)] * 3 + [("up", 5)] and
          [b["state"] for b in st["backends"] if b["pool"] == "core"] == ["standby"] * 3 + ["up"],
          f"stand-by: {r} {st['backends']}")
    expect_fail(ctl("backend", "add", "core", "192.0.2.30:5070", sock=s), 1,
                "backend.add: Already exists: pool core has backend 192.0.2.30:5070 already "
                "(id 5)", "add twice")
    out = expect_ok(ctl("backend", "set", "core", "192.0.2.30:5070", "--weight=7", sock=s),
                    "set")
    check(out == line.format(w=7, st="up", a="enabled"), f"set: {out!r}")
    for cmd, st, a in (("drain", "draining", "draining"), ("disable", "disabled", "disabled"),
                       ("enable", "up", "enabled")):
        out = expect_ok(ctl("backend", cmd, "core", "192.0.2.30:5070", sock=s), cmd)
        check(out == line.format(w=7, st=st, a=a), f"{cmd}: {out!r}")
    out = expect_ok(ctl("backend", "remove", "core", "192.0.2.30:5070", sock=s), "remove")
    check(out == "core 192.0.2.30:5070: removed (was id 5)\n", f"remove: {out!r}")
    expect_fail(ctl("backend", "remove", "core", "192.0.2.30:5070", sock=s), 1,
                "Not found: no backend 192.0.2.30:5070 in pool core", "remove twice")
    expect_fail(ctl("backend", "add", "core", "192.0.2.31:99999", sock=s), 1,
                "backend.add: Invalid params: backend \"192.0.2.31:99999\": port \"99999\": "
                "1..65535 expected", "bad port")
    expect_fail(ctl("backend", "set", "core", "192.0.2.21", "--weight", "70000", sock=s), 1,
                "Invalid params: weight: 70000 out of range 0..65535", "weight range")


RULES = """\
VIP  INDEX  MATCH                                                          ACTION                               HASH     RATE                                        HITS  ORIGIN
sip      0  user_agent = { regex = "friendly-scanner|sipvicious|sipcli" }  drop                                 call-id  -                                              0  {conf}:13
sip      1  method = "REGISTER"                                            continue                             call-id  50/s burst 100 per source, over: reply 503     0  {conf}:15
sip      2  method = "REGISTER"; ruri_host = "reg.example.com"             pool core                            to-user  -                                              0  {conf}:17
sip      3  ruri_user = {{ prefix = "112" }}; source = "203.0.113.0/24"      reply 403 Emergency calls elsewhere  call-id  -                                              0  {conf}:19
"""  # noqa: E501

REGISTER = ("REGISTER sip:reg.example.com SIP/2.0\n"
            "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-1\n"
            "From: <sip:alice@reg.example.com>;tag=1\nTo: <sip:alice@reg.example.com>\n"
            "Call-ID: c1@h\nCSeq: 1 REGISTER\nMax-Forwards: 70\nContent-Length: 0\n\n")


def test_rules(s, d):
    """rule list/add/move/remove/test: tables, the file's syntax back, refusals."""
    conf = os.path.join(CONFIGS, "rpc.conf")
    out = expect_ok(ctl("rule", "list", "sip", sock=s), "rule list")
    check(out == RULES.replace("{conf}", conf).replace("{{", "{").replace("}}", "}"),
          f"rule list: {out}")
    check(expect_ok(ctl("rule", "list", "sip-alt", sock=s), "rule list sip-alt").count("\n")
          == 1, "sip-alt: the header only")
    msg = os.path.join(d, "register.sip")
    with open(msg, "w") as f:
        f.write(REGISTER)  # LF line ends: siplbctl sends them as CRLF
    out = expect_ok(ctl("rule", "test", "sip", msg, "--source", "203.0.113.7", sock=s),
                    "rule test")
    check(out.startswith(f"vip:     sip\nrule:    2 ({conf}:17)\npassed:  1 (rates only") and
          "\naction:  pool core\nhash:    to-user \"alice\"\nbackend: 192.0.2.2" in out,
          f"rule test: {out}")
    r = json.loads(expect_ok(ctl("--json", "rule", "test", "sip", msg, sock=s), "--json test"))
    check(r["rule"] == 2 and r["key"] == "alice" and r["pool"] == "core", f"test --json: {r}")
    rule = '{ match = { method = "OPTIONS"; }; action = "reply 404 Not Here"; }'
    out = expect_ok(ctl("rule", "add", "sip", "--at", "0", rule, sock=s), "rule add")
    check(re.fullmatch(r"sip: rule 0 added: " + re.escape(rule) + r" \(generation \d+\)\n",
                       out), f"rule add: {out!r}")
    out = expect_ok(ctl("rule", "move", "sip", "0", "4", sock=s), "rule move")
    check(out.startswith("sip: rule moved to 4: " + rule), f"rule move: {out!r}")
    out = expect_ok(ctl("rule", "remove", "sip", "4", sock=s), "rule remove")
    check(out.startswith("sip: rule 4 removed: " + rule), f"rule remove: {out!r}")
    expect_fail(ctl("rule", "add", "sip", '{ match = { method = { regex = "(" }; }; '
                    'action = "drop"; }', sock=s), 1,
                "siplbctl: rule.add: Invalid params: rule:1: 'match.method.regex': \"(\": "
                "Hyperscan cannot compile it", "bad regex")
    expect_fail(ctl("rule", "remove", "sip", "9", sock=s), 1,
                "rule.remove: Not found: index 9: VIP sip has rules 0..3", "no rule 9")
    check(expect_ok(ctl("rule", "list", "sip", sock=s), "list after").count("\n") == 5,
          "back to 4 rules")
    big = os.path.join(d, "big.sip")
    with open(big, "w") as f:
        f.write("x" * 40000)
    expect_fail(ctl("rule", "test", "sip", big, sock=s), 64, "too large", "message size")


def sip_request(method, ruri, to, ua="phone"):
    return (f"{method} {ruri} SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-c\n"
            f"From: <sip:bob@example.com>;tag=1\nTo: <{to}>\nCall-ID: cook1\n"
            f"CSeq: 1 {method}\nMax-Forwards: 70\nUser-Agent: {ua}\nContent-Length: 0\n\n")


def test_cookbook(d):
    """docs/rules.md's cookbook: each case does what the doc says."""
    sock = os.path.join(d, "cookbook.sock")
    cases = (  # vip, message, source, rule, action, pool
        ("sip", sip_request("OPTIONS", "sip:1@example.com", "sip:1@example.com",
                            "friendly-scanner"), None, 0, "drop", None),
        ("sip", REGISTER, "192.0.2.9", 2, "pool registrars", "registrars"),
        ("sip", sip_request("INVITE", "sip:911@example.com", "sip:911@example.com"),
         "203.0.113.9", 3, "pool emergency", "emergency"),
        ("sip", sip_request("INVITE", "sip:bob@example.com", "sip:bob@example.com"),
         "203.0.113.9", 4, "pool trunk-acme", "trunk-acme"),
        ("sip", sip_request("INVITE", "sip:bob@example.com", "sip:bob@example.com"),
         "192.0.2.9", None, "default", "core"),
        ("carriers", sip_request("INVITE", "sip:bob@example.com", "sip:bob@example.com"),
         "198.51.100.7", 0, "allow", "core"),
        ("carriers", sip_request("INVITE", "sip:bob@example.com", "sip:bob@example.com"),
         "192.0.2.9", None, "not allowed", None))
    with Server(sock, "--config", os.path.join(CONFIGS, "cookbook.conf")):
        for i, (vip, msg, source, rule, action, pool) in enumerate(cases):
            path = os.path.join(d, f"cook{i}.sip")
            with open(path, "w") as f:
                f.write(msg)
            args = ["--json", "rule", "test", vip, path] + (["--source", source] if source else [])
            r = json.loads(expect_ok(ctl(*args, sock=sock), f"cookbook {i}"))
            check(r["rule"] == rule and r["action"] == action and r.get("pool") == pool,
                  f"cookbook case {i}: {r}")
            if pool:
                check(r["backend"] is not None, f"cookbook case {i}: a backend: {r}")


def capture_json(s, *args):
    p = ctl("--json", "capture", *args, sock=s)
    check(p.returncode == 0, f"capture {args}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout or "{}")


def test_capture(s):
    """capture start/stop/status: each change one generation, refusals say why."""
    gen = lambda: json.loads(ctl("--json", "status", sock=s).stdout)["generation"]  # noqa: E731
    r, g = capture_json(s, "status"), gen()
    check(r.get("capturing") is False and r.get("collector") == "127.0.0.1:9060" and
          r.get("agent_id") == 7 and r.get("vips") == "all" and r.get("sample") == 1 and
          r.get("sent") == 0, f"capture status: {r}")
    r = capture_json(s, "start", "sip", "--sample", "5")
    check(r.get("capturing") is True and r.get("vips") == "sip" and r.get("sample") == 5 and
          gen() == g + 1, f"capture start sip --sample 5: {r}, generation {gen()} after {g}")
    out = expect_ok(ctl("capture", "status", sock=s), "capture status (table)")
    check(re.search(r"^capturing: +yes$", out, re.M) and re.search(r"^vips: +sip$", out, re.M),
          f"capture status: {out!r}")
    expect_fail(ctl("capture", "start", "nope", sock=s), 1,
                "capture.start: Not found: no VIP 'nope'", "capture start nope")
    expect_fail(ctl("capture", "start", "--sample", "0", sock=s), 1, "sample",
                "capture start --sample 0")
    expect_fail(ctl("capture", "stop", "--sample", "2", sock=s), 64,
                "--sample and --pcap go with capture start", "capture stop --sample")
    r = capture_json(s, "stop")
    check(r.get("capturing") is False and gen() == g + 2, f"capture stop: {r}")


def ctl_files(*args, sock):
    """A call that reads a configuration file: again once the loop's budget
    for them is back (siplbd says in how many ms), as an operator would."""
    for _ in range(5):
        p = ctl(*args, sock=sock)
        m = re.search(r"Limit reached: .* try again in (\d+) ms", p.stderr)
        if not m:
            return p
        time.sleep(int(m.group(1)) / 1000 + 0.05)
    return p


def test_config(s):
    """Relative files are siplbctl's cwd's, not siplbd's."""
    good = os.path.join(CONFIGS, "reload.conf")
    out = expect_ok(ctl("config", "validate", "reload.conf", sock=s, cwd=CONFIGS), "validate")
    check(out == f"{good}: ok: 3 VIPs, 2 pools, 5 backends, 0 ports\n", f"validate: {out!r}")
    expect_fail(ctl("config", "validate", "bad.conf", sock=s, cwd=CONFIGS), 1,
                f"siplbctl: config.validate: Invalid configuration: {CONFIGS}/bad.conf:6: ",
                "validate bad")
    expect_fail(ctl("config", "reload", "bad.conf", sock=s, cwd=CONFIGS), 1,
                f"config.reload: Invalid configuration: {CONFIGS}/bad.conf:6: ", "reload bad")
    dflt = os.path.join(CONFIGS, "rpc.conf")
    out = expect_ok(ctl_files("config", "reload", good, sock=s), "reload")
    check(out.startswith(f"{good}: generation ") and
          " published: 3 VIPs, 2 pools, 5 backends, " in out and
          out.endswith(f"\nonce: SIGHUP and config reload read {dflt} (config reload FILE "
                       "--set-default changes that)\n"), f"reload: {out!r}")
    out = expect_ok(ctl_files("config", "reload", sock=s), "reload again")
    check(out.startswith(f"{dflt}: generation "), f"reload without FILE: the default: {out!r}")
    expect_fail(ctl("config", "reload", "--set-default", sock=s), 64,
                "--set-default goes with config reload FILE", "--set-default without FILE")
    out = expect_ok(ctl_files("config", "reload", good, "--set-default", sock=s),
                    "--set-default")
    check("once" not in out, out)
    out = expect_ok(ctl_files("config", "reload", sock=s), "reload after --set-default")
    check(out.startswith(f"{good}: generation "), f"reload without FILE: {out!r}")
    out = expect_ok(ctl("backend", "list", "core", sock=s), "after reload")
    check("192.0.2.24:5060" in out and "192.0.2.22:5060" not in out, out)
    # What run time changed, against the file; forgotten by state clear.
    expect_ok(ctl("backend", "set", "core", "192.0.2.24", "--weight", "9", sock=s), "set")
    out = expect_ok(ctl("config", "diff", sock=s), "config diff")
    check(f"\n{good}, with the run-time changes kept in " in out and
          out.startswith("vip sip: its 4 routing rules are kept from run time") and
          re.search(r"^core +192\.0\.2\.24:5060 +set +9 +- +- +\d+ +\d+$", out, re.M), out)
    out = expect_ok(ctl_files("state", "clear", sock=s), "state clear")
    check(re.fullmatch(rf"{re.escape(good)}: generation \d+ published: 2 run-time changes "
                       r"forgotten, the file as it is\n", out), out)
    r = json.loads(expect_ok(ctl("--json", "config", "diff", sock=s), "config diff --json"))
    check(r["overrides"] == [] and r["rules"] == [] and r["version"] == 1,
          f"after state clear: {r}")


def test_usage():
    for args, words in (([], "a command is missing"),
                        (["backend", "frob"], "unknown command: backend frob"),
                        (["vip"], "unknown command: vip"),
                        (["backend", "add", "core"], "backend add: missing arguments: POOL"),
                        (["status", "extra"], "status: too many arguments: none expected"),
                        (["backend", "add", "core", "192.0.2.1", "--weight", "abc"],
                         "--weight abc: an integer expected"),
                        (["--weight", "5", "status"], "--weight and --priority go with"),
                        (["backend", "set", "core", "192.0.2.1"], "nothing to set"),
                        (["--timeout", "0", "status"], "--timeout 0: seconds"),
                        (["--bogus", "status"], "unrecognized option"),
                        (["config", "validate"], "config validate: missing arguments: FILE"),
                        (["rule", "add", "sip"], "rule add: missing arguments: VIP [--at N]"),
                        (["rule", "move", "sip", "1", "x"], "TO x: an integer expected"),
                        (["--at", "1", "rule", "list"], "--at goes with rule add"),
                        (["rule", "test", "sip", "/nonexistent/m.sip"],
                         "/nonexistent/m.sip: No such file or directory")):
        p = ctl(*args)
        check(p.returncode == 64 and words in p.stderr and "usage: siplbctl" in p.stderr,
              f"usage {args}: exit {p.returncode}, {p.stderr!r}")
    p = ctl("--help")
    check(p.returncode == 0 and "backend drain POOL ADDR[:PORT]" in p.stdout, "--help")


def serve_once(d, name, answer):
    """A socket that answers one connection with `answer` (None: nothing, ever)."""
    path = os.path.join(d, name)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(4)

    def run():
        conn, _ = ls.accept()
        conn.recv(65536)
        if answer is not None:
            conn.sendall(answer)
            conn.close()
        else:
            time.sleep(3)
    threading.Thread(target=run, daemon=True).start()
    return path


def test_connection(d):
    p = ctl("--socket", "/nonexistent/ctl.sock", "status")
    check(p.returncode == 2 and p.stderr == "siplbctl: cannot connect to /nonexistent/ctl.sock: "
          "No such file or directory (is siplbd running? --socket PATH)\n", f"{p.stderr!r}")
    t0 = time.monotonic()
    p = ctl("--timeout", "0.3", "status", sock=serve_once(d, "mute.sock", None))
    check(p.returncode == 2 and "no answer within 0.3 s" in p.stderr and
          time.monotonic() - t0 < 2.5, f"timeout: {p.returncode} {p.stderr!r}")
    p = ctl("status", sock=serve_once(d, "hello.sock", b"hello\n"))
    check(p.returncode == 2 and "not a JSON-RPC answer: hello" in p.stderr, f"{p.stderr!r}")
    p = ctl("status", sock=serve_once(d, "closing.sock", b""))
    check(p.returncode == 2 and "connection closed before an answer" in p.stderr,
          f"{p.stderr!r}")


def test_refused(d):
    """The server's refusals (here: too many clients) reach the operator as they are."""
    sock = os.path.join(d, "cap.sock")
    with Server(sock, "--config", os.path.join(CONFIGS, "rpc.conf"), "--max-clients", "1"):
        hold = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hold.connect(sock)
        hold.sendall(b'{"jsonrpc":"2.0","method":"status","id":1}\n')
        hold.recv(65536)  # admitted: it holds the only slot now
        expect_fail(ctl("status", sock=sock), 1,
                    "siplbctl: status: Limit reached: too many clients (1): try again",
                    "client cap")
        hold.close()


def main():
    with tempfile.TemporaryDirectory(prefix="siplbctl-") as d:
        sock = os.path.join(d, "siplbd.sock")
        with Server(sock, "--config", os.path.join(CONFIGS, "rpc.conf"), "--down",
                    "198.51.100.10"):
            test_lists(sock)
            test_json(sock)
            test_changes(sock)
            test_rules(sock, d)
            test_capture(sock)
            test_config(sock)
        test_cookbook(d)
        test_refused(d)
        test_connection(d)
    test_usage()
    print(f"siplbctl: {len(FAILURES)} failed")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
