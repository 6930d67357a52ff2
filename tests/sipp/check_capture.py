#!/usr/bin/env python3
"""Checks siplb-parse against real SIPp traffic (see capture.sh).

usage: check_capture.py SIPLB_PARSE CAPTURE_DIR CALLS

Every datagram must parse, on every scanner path with identical output, and
each call must be the SIPp default dialog: INVITE, 180, 200, ACK, BYE, 200,
with consistent Call-ID, tags, branches and CSeq numbers.
"""
import functools
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import testlib  # noqa: E402

# only the failures are printed: a capture makes thousands of checks
check = functools.partial(testlib.check, quiet=True)


def parse(tool, files, path):
    res = subprocess.run([tool, "--path", path] + files, capture_output=True, text=True)
    return res.returncode, [json.loads(line) for line in res.stdout.splitlines()]


def main():
    tool, cap, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    files = sorted(os.path.join(cap, f) for f in os.listdir(cap) if f.endswith(".sip"))
    rc, msgs = parse(tool, files, "auto")
    check(rc == 0, "siplb-parse exit status %d on valid traffic" % rc)
    check(len(msgs) == len(files) == 6 * calls,
          "expected %d datagrams, got %d files / %d objects" % (6 * calls, len(files), len(msgs)))
    for path in ("scalar", "sse4.2", "avx2", "avx512"):
        prc, other = parse(tool, files, path)
        if prc == 2:  # path not supported on this CPU: said on stderr
            continue
        check(other == msgs, "path %s disagrees with auto" % path)

    dialogs = {}
    for m in msgs:
        check(m["valid"], "%s invalid: %s" % (m["file"], m.get("reason")))
        dialogs.setdefault(m.get("call_id"), []).append(m)
    check(len(dialogs) == calls, "expected %d Call-IDs, got %d" % (calls, len(dialogs)))

    for cid, seq in dialogs.items():
        shape = [m.get("method") or m.get("status") for m in seq]
        if shape != ["INVITE", 180, 200, "ACK", "BYE", 200]:
            check(False, "%s: dialog shape %s" % (cid, shape))
            continue
        inv, ring, ok, ack, bye, bye_ok = seq
        for m in (inv, ack, bye):
            check(m["max_forwards"] == 70, "%s: %s Max-Forwards %s" % (cid, m["method"], m["max_forwards"]))
            check(m["via_branch"].startswith("z9hG4bK"), "%s: branch %s" % (cid, m["via_branch"]))
        check(inv["to_tag"] is None, "%s: INVITE has a To tag" % cid)
        check(inv["content_length"] == inv["body_length"] > 0, "%s: INVITE SDP length" % cid)
        for r, req in ((ring, inv), (ok, inv), (bye_ok, bye)):
            check(r["via_branch"] == req["via_branch"], "%s: %s branch differs from request" % (cid, r["status"]))
            check(r["cseq"] == req["cseq"] and r["cseq_method"] == req["method"],
                  "%s: %s CSeq %s %s" % (cid, r["status"], r["cseq"], r["cseq_method"]))
            check(r["via_sent_by"] == req["via_sent_by"], "%s: response sent-by" % cid)
        tag = ring["to_tag"]
        check(tag is not None and all(m["to_tag"] == tag for m in (ok, ack, bye, bye_ok)),
              "%s: To tag not kept through the dialog" % cid)
        check(len({m["from_tag"] for m in seq}) == 1, "%s: From tag changed" % cid)
        check(ack["cseq"] == inv["cseq"] and bye["cseq"] == inv["cseq"] + 1,
              "%s: CSeq INVITE %s ACK %s BYE %s" % (cid, inv["cseq"], ack["cseq"], bye["cseq"]))

    print("sipp capture: %d datagrams, %d dialogs, %d failures" % (len(msgs), len(dialogs), len(testlib.FAILURES)))
    return testlib.exit_status()


if __name__ == "__main__":
    sys.exit(main())
