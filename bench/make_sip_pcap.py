#!/usr/bin/env python3
"""Writes a pcap of N distinct SIP INVITEs (about 900 bytes, one Call-ID each)
from a client to a VIP, for replay benchmarks (net_pcap infinite_rx).

usage: make_sip_pcap.py OUT.pcap [N] [VIP] [CLIENT]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import pcaplib  # noqa: E402 (frames and pcap files, shared with the tests)

SDP = ("v=0\r\no=- 3912834761 3912834761 IN IP4 198.51.100.23\r\ns=-\r\n"
       "c=IN IP4 198.51.100.23\r\nt=0 0\r\nm=audio 31846 RTP/AVP 0 8 18 101\r\n"
       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\n"
       "a=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\n"
       "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")


def invite(i, vip, client):
    head = ("INVITE sip:+1415555%04d@%s;user=phone SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-bench-%08x;rport\r\n"
            "Max-Forwards: 70\r\n"
            "Contact: <sip:+12125550199@%s:5060;transport=udp>\r\n"
            "To: <sip:+1415555%04d@%s;user=phone>\r\n"
            "From: \"Bench\" <sip:+12125550199@sbc.example.com;user=phone>;tag=%08x\r\n"
            "Call-ID: %08x-bench@%s\r\n"
            "CSeq: 1 INVITE\r\n"
            "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER\r\n"
            "Supported: 100rel, timer, replaces\r\n"
            "Session-Expires: 1800;refresher=uac\r\n"
            "User-Agent: siplb-bench\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: %d\r\n\r\n") % (i % 10000, vip, client, i, client, i % 10000,
                                             vip, i * 7919, i, client, len(SDP))
    return (head + SDP).encode()


def frame(payload, src, dst):
    return pcaplib.frame("02:00:00:00:00:02", "02:00:00:00:00:01", src, 5060, dst, 5060,
                         payload, ip_id=1, ttl=64, flags=0)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    vip = sys.argv[3] if len(sys.argv) > 3 else "192.0.2.100"
    client = sys.argv[4] if len(sys.argv) > 4 else "198.51.100.10"
    pcaplib.write_pcap(out, [frame(invite(i, vip, client), client, vip) for i in range(n)])
    print("%s: %d INVITEs, %d bytes each" % (out, n, len(frame(invite(0, vip, client),
                                                                   client, vip))))


if __name__ == "__main__":
    main()
