#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""siplbd against what a client of its control socket or of its metrics
endpoint may send (docs/security.md), in a network namespace of its own
(siplbd_env.py: loopback only). Nothing may stop or block it, and what it
refuses leaves the running state as it was:

  files    config validate and reload of /proc/self/mem (libconfig exited
           on it), a FIFO (blocked the socket), /dev/zero, a directory, a
           100 MB sparse file: each refused at once with its reason; a
           symlink to a regular file is read; an empty file's reload says
           what is missing.
  socket   a method name with an escaped NUL (ran status), bad JSON, a
           1 MiB line, a request left unfinished, 32 idle connections of an
           allowed uid (locked root out for 60 s): root is served at once; a
           batch of 64 config.validate of 1 MiB of settings (50 ms each) is
           cut short by the parsing budget.
  metrics  64 idle TCP connections (16 made scrapes time out): a scrape is
           answered within a second.

  test_siplbd_trust.py SIPLBD SIPLBCTL SIPP UNBOUND SCENARIOS SIPLB_DP
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from siplbd_env import expect, main, refused, wait_until  # noqa: E402

NOBODY = 65534


def config(env):
    return env.write("siplb.conf", f"""bpffs = "{env.bpffs}";
control = {{ socket = "{env.sock}"; mode = "0666"; allow_uids = ( {NOBODY} ); }};
metrics = {{ address = "127.0.0.1"; port = 9466; }};
maglev = {{ table_size = 251; capacity = 1000; }};
vips = ( {{ name = "sip"; address = "192.0.2.100"; port = 5060; pool = "core"; }} );
pools = ( {{ name = "core";
  backends = ( {{ address = "127.0.0.11"; port = 5060; weight = 1; }} ); }} );
""")


def served_at_once(env, what):
    """root's status answered within a second, the generation unchanged."""
    t0 = time.monotonic()
    st = env.ctl_json("status")
    took = time.monotonic() - t0
    expect(took < 1 and st["generation"] == env.g0, f"{what}: status after {took:.2f} s: {st}")


def files(env):
    fifo, big = os.path.join(env.work, "fifo"), os.path.join(env.work, "big.conf")
    os.mkfifo(fifo)
    with open(big, "wb") as f:
        f.truncate(100 << 20)
    for path, why in (("/proc/self/mem", "cannot read: Input/output error"),
                      (fifo, "a FIFO: a configuration is read only from a regular file"),
                      ("/dev/zero", "a character device: a configuration is read only"),
                      (env.work, "a directory: a configuration is read only"),
                      (big, "104857600 bytes: a configuration (with its includes) has at most "
                            "1048576 bytes")):
        for verb in ("validate", "reload"):
            t0 = time.monotonic()
            refused(env, ["config", verb, path], "Invalid configuration", f"{path}: {why}")
            expect(time.monotonic() - t0 < 2, f"config {verb} {path}: not at once")
        served_at_once(env, path)
    link = os.path.join(env.work, "link.conf")
    os.symlink(env.conf, link)
    rc, out, err = env.ctl("config", "validate", link)
    expect(rc == 0 and out.startswith(f"{link}: ok"), f"a symlink: {rc} {out} {err}")
    print("ok   config validate of a symlink to a regular file")
    empty = env.write("empty.conf", "")
    refused(env, ["config", "reload", empty], "Invalid configuration",
            f"{empty}: no vips and no pools: a reload would take away every VIP (1 running)")


def raw(env, data, seconds=10):
    """data on a connection of its own; the first line back (parsed), or
    None if the connection closed without one."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(seconds)
        s.connect(env.sock)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it read everything: its answer is still there
        got = b""
        while b"\n" not in got:
            chunk = s.recv(65536)
            if not chunk:
                return None
            got += chunk
    return json.loads(got.split(b"\n")[0])


def expect_error(r, code, text, what):
    e = (r or {}).get("error", {})
    expect(e.get("code") == code and text in e.get("data", {}).get("reason", ""),
           f"{what}: {r}")
    print(f"ok   {what}: {code} ({e['data']['reason']})")


def validate_batch(env):
    """64 validations of a file that takes long to parse: the budget (1 s,
    then a fifth of the time) refuses the rest, siplbd is free again soon."""
    heavy = env.write("heavy.conf", "colour = [" + ",".join(["1"] * 524000) + "];\n")
    batch = [{"jsonrpc": "2.0", "method": "config.validate", "params": {"file": heavy}, "id": i}
             for i in range(64)]
    t0 = time.monotonic()
    r = raw(env, json.dumps(batch).encode() + b"\n", seconds=30)
    took = time.monotonic() - t0
    codes = [a["error"]["code"] for a in r]
    expect(codes.count(-32003) >= 1 and codes.count(-32004) >= 1 and took < 2.5,
           f"64 heavy validations: {codes} in {took:.1f} s")
    expect("try again in" in r[-1]["error"]["data"]["reason"], r[-1])
    served_at_once(env, "after the heavy batch")
    print(f"ok   64 heavy validations in a batch: {codes.count(-32003)} parsed, "
          f"{codes.count(-32004)} refused, {took:.1f} s")


def socket_input(env):
    expect_error(env.rpc("status\u0000x", {}), -32601, "names hold no NUL",
                 "method \"status\\u0000x\"")
    expect_error(raw(env, b'{"jsonrpc": "2.0", "method": \n'), -32700, "offset", "bad JSON")
    expect_error(raw(env, b"x" * (1 << 20)), -32600, "request larger than 65536 bytes",
                 "a 1 MiB line")
    served_at_once(env, "after the bad input")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(env.sock)
        s.sendall(b'{"jsonrpc": "2.0", ')
        t0 = time.monotonic()
        served_at_once(env, "beside an unfinished request")
        s.settimeout(10)
        r = json.loads(s.recv(65536).split(b"\n")[0])
        took = time.monotonic() - t0
    expect(4.5 < took < 7, f"the unfinished request closed after {took:.1f} s, not 5")
    expect_error(r, -32600, "request not complete (no newline) after 5000 ms",
                 "an unfinished request")


# Run as uid 65534: 32 connections that say nothing; prints how many were
# let in and how many refused, then holds them.
HOG = r"""
import socket, sys, time
conns = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(32)]
for s in conns:
    s.connect(sys.argv[1])
time.sleep(0.5)
refused = 0
for s in conns:
    s.setblocking(False)
    try:
        refused += b"uid 65534 has 8 connections already" in s.recv(4096)
    except BlockingIOError:
        pass
print(32 - refused, refused, flush=True)
time.sleep(2)
"""


def uid_hog(env):
    for d in (env.work, os.path.dirname(env.sock)):
        os.chmod(d, 0o711)
    p = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                          sys.executable, "-c", HOG, env.sock], stdout=subprocess.PIPE, text=True)
    try:
        counts = p.stdout.readline().split()
        for i in range(3):
            served_at_once(env, "beside 32 idle connections of uid 65534")
        expect(counts == ["8", "24"], f"uid 65534's connections let in, refused: {counts}")
    finally:
        p.wait(timeout=10)
    print("ok   32 idle connections of uid 65534: 8 let in, root served at once")


# In the namespace: 64 idle connections to /metrics, then a scrape.
SCRAPE = r"""
import socket, time
idle = [socket.create_connection(("127.0.0.1", 9466)) for _ in range(64)]
time.sleep(0.2)
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", 9466), timeout=5)
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
got = b""
while chunk := s.recv(65536):
    got += chunk
print(got.split(b"\r\n")[0].decode(), round(time.monotonic() - t0, 3))
"""


def metrics_idle(env):
    wait_until(lambda: env.metrics(), 5, "/metrics has a snapshot")
    status, took = env.run(sys.executable, "-c", SCRAPE).rsplit(None, 1)
    expect(status == "HTTP/1.1 200 OK" and float(took) < 1,
           f"a scrape beside 64 idle connections: {status} after {took} s")
    print(f"ok   a scrape beside 64 idle connections: {status} in {took} s")


def trust(env):
    env.conf = config(env)
    env.start_siplbd(env.conf)
    env.g0 = env.published()[0]
    files(env)
    socket_input(env)
    validate_batch(env)
    uid_hog(env)
    metrics_idle(env)
    expect(env.published()[0] == env.g0, "nothing was published")


if __name__ == "__main__":
    sys.exit(main({"trust": trust}, ["", "trust"] + sys.argv[1:]))
