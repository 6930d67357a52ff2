#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Both ends of the scale-out test's corpus (test_e2e_scaleout.py), run in
a namespace with ip netns exec:

  callid_peer.py send DEST PORT SRC_PORT RATE < corpus.json
      sends each message of the JSON list (text with CRLF line ends), RATE
      per second, then prints "sent N";
  callid_peer.py record BIND PORT SECONDS IDLE
      prints "ready", then the Call-ID of every datagram received (one per
      line) until IDLE seconds pass without one after the first, or
      SECONDS in all.
"""
import re
import socket
import sys
import time
import json

CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", re.I | re.M)


def send(dest, port, sport, rate):
    messages = json.load(sys.stdin)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", sport))
    t0 = time.monotonic()
    for i, text in enumerate(messages):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s.sendto(text.encode(), (dest, port))
    print("sent %d" % len(messages), flush=True)


def record(bind, port, seconds, idle):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((bind, port))
    s.settimeout(0.1)
    print("ready", flush=True)
    end, last = time.monotonic() + seconds, None
    while time.monotonic() < end and (last is None or time.monotonic() - last < idle):
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        last = time.monotonic()
        m = CALL_ID.search(data)
        print(m.group(1).decode(errors="replace") if m else "-", flush=True)


def main():
    if sys.argv[1:2] == ["send"] and len(sys.argv) == 6:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1:2] == ["record"] and len(sys.argv) == 6:
        record(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
