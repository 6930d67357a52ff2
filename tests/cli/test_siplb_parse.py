#!/usr/bin/env python3
"""siplb-parse as an operator uses it: JSON fields, exit status, errors.

usage: test_siplb_parse.py SIPLB_PARSE
"""
import json
import os
import subprocess
import sys
import tempfile

INVITE = (b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bKnashds8;rport\r\n"
          b"Max-Forwards: 70\r\n"
          b"To: Bob <sip:bob@biloxi.example.com>\r\n"
          b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
          b"i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
          b"CSeq: 314159 INVITE\r\n"
          b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
          b"l: 3\r\n\r\nv=0")
RESPONSE = (b"SIP/2.0 486 Busy Here\r\n"
            b"v: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK77ef4c2312983.1\r\n"
            b"t: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
            b"f: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
            b"CSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n")
TWO_CALL_IDS = b"BYE sip:b@x SIP/2.0\r\nCall-ID: a\r\ni: b\r\nCSeq: 1 BYE\r\n\r\n"

failures = []


def run(tool, *files):
    r = subprocess.run([tool] + list(files), capture_output=True, text=True)
    return r.returncode, [json.loads(l) for l in r.stdout.splitlines()], r.stderr


def expect(what, got, want):
    if got != want:
        failures.append("%s: expected %r, got %r" % (what, want, got))


def main():
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        def put(name, data):
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(data)
            return p
        inv, resp = put("invite.sip", INVITE), put("486.sip", RESPONSE)
        dup, ka = put("dup.sip", TWO_CALL_IDS), put("ka.sip", b"\r\n\r\n")
        big = put("big.sip", b"x" * 70000)

        rc, out, err = run(tool, inv, resp)
        expect("valid files: exit status", rc, 0)
        expect("valid files: stderr", err, "")
        i, r = out
        for k, v in {"valid": True, "kind": "request", "method": "INVITE",
                     "call_id": "a84b4c76e66710@pc33.atlanta.example.com",
                     "via_branch": "z9hG4bKnashds8",
                     "via_sent_by": "pc33.atlanta.example.com:5066", "cseq": 314159,
                     "cseq_method": "INVITE", "content_length": 3, "max_forwards": 70,
                     "to_tag": None, "from_tag": "1928301774"}.items():
            expect("INVITE " + k, i.get(k, "missing"), v)
        for k, v in {"kind": "response", "status": 486, "via_sent_by": "192.0.2.4",
                     "to_tag": "a6c85cf", "cseq": 2, "content_length": 0,
                     "max_forwards": None}.items():
            expect("486 " + k, r.get(k, "missing"), v)

        rc, out, err = run(tool, inv, dup, ka)
        expect("one invalid file: exit status", rc, 1)
        expect("duplicate Call-ID", (out[1]["valid"], out[1]["reason"]),
               (False, "duplicate_call_id"))
        expect("keep-alive", (out[2]["valid"], out[2]["kind"], out[2].get("keepalive")),
               (False, "keepalive", True))
        expect("reasons on stderr", "duplicate_call_id" in err and "keepalive" in err, True)

        rc, out, err = run(tool, os.path.join(d, "missing.sip"), big, inv)
        expect("unreadable/oversized: exit status", rc, 1)
        expect("unreadable/oversized: objects", len(out), 1)
        expect("missing file named on stderr", "missing.sip" in err, True)
        expect("oversized file reason", "larger than a UDP datagram" in err, True)

        rc, out, err = run(tool)
        expect("no arguments: exit status", rc, 2)
        expect("no arguments: usage", err.startswith("usage:"), True)
    for f in failures:
        print("FAIL:", f)
    print("siplb-parse cli: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
