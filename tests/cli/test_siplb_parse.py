#!/usr/bin/env python3
"""siplb-parse as an operator uses it: JSON fields, exit status, errors.

usage: test_siplb_parse.py SIPLB_PARSE CORPUS_DIR

Also runs siplb-parse over the whole scanner corpus and compares its JSON
with the hand-written expectations (CORPUS_DIR/expect.txt).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import FAILURES, check, exit_status  # noqa: E402

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

def run(tool, *files):
    r = subprocess.run([tool] + list(files), capture_output=True, text=True)
    return r.returncode, [json.loads(l) for l in r.stdout.splitlines()], r.stderr


def check_eq(what, got, want):
    check(got == want, "%s: expected %r, got %r" % (what, want, got), quiet=True)


# expect.txt keys that siplb-parse prints under the same name
JSON_KEYS = {"call_id", "via_branch", "cseq", "cseq_method", "content_length",
             "max_forwards", "to_tag", "from_tag", "route", "status", "method",
             "request_uri", "body_length"}


def as_json_value(key, text):
    if text == "-":
        return None
    if key in ("cseq", "status", "body_length"):
        return int(text)
    if key in ("content_length", "max_forwards"):
        return None if text == "-1" else int(text)
    return text


def check_corpus(tool, corpus):
    checked = 0
    with open(os.path.join(corpus, "expect.txt")) as f:
        lines = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    for fields in lines:
        path = os.path.join(corpus, fields[0])
        want = dict(kv.split("=", 1) for kv in fields[1:])
        rc, out, err = run(tool, path)
        obj = out[0] if out else {}
        ok = want.get("reason") == "ok"
        check_eq(fields[0] + " exit status", rc, 0 if ok else 1)
        if want.get("reason") == "too_large":  # refused before scanning
            check_eq(fields[0] + " too large", (out, "larger than a UDP datagram" in err), ([], True))
            continue
        check_eq(fields[0] + " valid", obj.get("valid"), ok)
        if not ok:
            check_eq(fields[0] + " reason", obj.get("reason"), want.get("reason"))
            check_eq(fields[0] + " reason on stderr", want.get("reason", "?") in err, True)
            continue
        # a request has no status, a response no method or Request-URI
        skip = {"status"} if obj.get("kind") == "request" else {"method", "request_uri"}
        for k, v in want.items():
            if k in JSON_KEYS and k not in skip:
                check_eq("%s %s" % (fields[0], k), obj.get(k, "missing"), as_json_value(k, v))
                checked += 1
    return len(lines), checked


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
        check_eq("valid files: exit status", rc, 0)
        check_eq("valid files: stderr", err, "")
        i, r = out
        for k, v in {"valid": True, "kind": "request", "method": "INVITE",
                     "call_id": "a84b4c76e66710@pc33.atlanta.example.com",
                     "via_branch": "z9hG4bKnashds8",
                     "via_sent_by": "pc33.atlanta.example.com:5066", "cseq": 314159,
                     "cseq_method": "INVITE", "content_length": 3, "max_forwards": 70,
                     "to_tag": None, "from_tag": "1928301774"}.items():
            check_eq("INVITE " + k, i.get(k, "missing"), v)
        for k, v in {"kind": "response", "status": 486, "via_sent_by": "192.0.2.4",
                     "to_tag": "a6c85cf", "cseq": 2, "content_length": 0,
                     "max_forwards": None}.items():
            check_eq("486 " + k, r.get(k, "missing"), v)

        rc, out, err = run(tool, inv, dup, ka)
        check_eq("one invalid file: exit status", rc, 1)
        check_eq("duplicate Call-ID", (out[1]["valid"], out[1]["reason"]),
               (False, "duplicate_call_id"))
        check_eq("keep-alive", (out[2]["valid"], out[2]["kind"], out[2].get("keepalive")),
               (False, "keepalive", True))
        check_eq("reasons on stderr", "duplicate_call_id" in err and "keepalive" in err, True)

        rc, out, err = run(tool, os.path.join(d, "missing.sip"), big, inv)
        check_eq("unreadable/oversized: exit status", rc, 1)
        check_eq("unreadable/oversized: objects", len(out), 1)
        check_eq("missing file named on stderr", "missing.sip" in err, True)
        check_eq("oversized file reason", "larger than a UDP datagram" in err, True)

        rc, out, err = run(tool)
        check_eq("no arguments: exit status", rc, 2)
        check_eq("no arguments: usage", err.startswith("usage:"), True)
    files, fields = check_corpus(tool, sys.argv[2])
    print("siplb-parse cli: %d corpus files, %d fields compared, %d failures"
          % (files, fields, len(FAILURES)))
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
