#!/usr/bin/env python3
"""Sends one SIP datagram (or several copies) from this host and prints the
replies as JSON lines. Run inside a namespace: ip netns exec NS sip_probe.py.

usage: sip_probe.py DEST_IP DEST_PORT SRC_PORT WAIT_SECONDS COPIES < message
The message on stdin uses LF line ends; they become CRLF.
"""
import json
import socket
import sys
import time


def main():
    dest, dport, sport, wait, copies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        float(sys.argv[4]), int(sys.argv[5])
    data = sys.stdin.read().replace("\r\n", "\n").replace("\n", "\r\n").encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", sport))
    for _ in range(copies):
        s.sendto(data, (dest, dport))
        time.sleep(0.2)
    s.settimeout(0.2)
    end = time.time() + wait
    while time.time() < end:
        try:
            msg, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        print(json.dumps({"from": "%s:%d" % peer, "text": msg.decode(errors="replace")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
