#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the SIP scanner's torture corpus, one raw datagram per file.

    python3 tests/scan/corpus/make_corpus.py [--lengths]

valid/     well-formed messages (RFC 3261, in the spirit of RFC 4475)
invalid/   one fault each (the file name says which)
keepalive/ RFC 5626 CRLF keep-alives

Messages are written with "\\n" and turned into CRLF by sip()/raw_crlf();
cases that need exact bytes (bare CR/LF, NUL) are written as bytes. The
expectations live in expect.txt, written by hand; --lengths prints the
byte counts (total, header block, body) that the expectations refer to.
The generated files are committed: *.sip is -text in .gitattributes.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def crlf(text):
    """str with \\n line ends -> bytes with CRLF (text must not hold \\r)."""
    assert "\r" not in text
    return text.replace("\n", "\r\n").encode("utf-8")


def sip(head, body=b"", cl=None):
    """head: start line and header lines, each ending in \\n, without the
    empty line. {CL} in head becomes the body length (or cl if given)."""
    if isinstance(body, str):
        body = crlf(body)
    n = len(body) if cl is None else cl
    return crlf(head.replace("{CL}", str(n))) + b"\r\n" + body


def padded_to_marker(head_before_pad, head_after_pad, marker_at):
    """A header block whose final CRLFCRLF starts at byte marker_at: an
    X-Pad header between the two parts is sized to get there."""
    fixed = len(crlf(head_before_pad)) + len(crlf(head_after_pad)) + len(b"X-Pad: \r\n")
    # head_after_pad ends with "\n" -> its last CRLF is the marker's start
    pad = marker_at + 2 - fixed
    assert pad >= 1, pad
    data = crlf(head_before_pad + "X-Pad: " + "p" * pad + "\n" + head_after_pad) + b"\r\n"
    assert data.index(b"\r\n\r\n") == marker_at, (data.index(b"\r\n\r\n"), marker_at)
    return data


SDP_BIG = """v=0
o=alice 2890844526 2890844526 IN IP4 192.0.2.101
s=Torture session with many attributes
i=A session description that exists to make this body about 900 bytes long
c=IN IP4 192.0.2.101
b=AS:2048
t=0 0
a=group:BUNDLE audio video
m=audio 49170 RTP/AVP 0 8 9 18 101 96 97
a=mid:audio
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:9 G722/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtpmap:96 opus/48000/2
a=fmtp:96 maxplaybackrate=16000;sprop-maxcapturerate=16000;useinbandfec=1
a=rtpmap:97 AMR-WB/16000
a=fmtp:97 mode-change-capability=2;max-red=0
a=ptime:20
a=maxptime:40
a=sendrecv
a=rtcp:49171 IN IP4 192.0.2.101
m=video 51372 RTP/AVP 99 100
a=mid:video
a=rtpmap:99 H264/90000
a=fmtp:99 profile-level-id=42e01f;packetization-mode=1
a=rtpmap:100 VP8/90000
a=rtcp-fb:99 nack pli
a=rtcp-fb:100 nack pli
a=rtcp-fb:99 ccm fir
a=rtcp:51373 IN IP4 192.0.2.101
a=sendrecv
"""

SDP_ANSWER = """v=0
o=bob 2808844564 2808844564 IN IP4 192.0.2.4
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 3456 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
"""

SDP_SMALL = """v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 4000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
"""

VALID = []
INVALID = []
KEEPALIVE = []


def valid(name, data):
    VALID.append((name, data))


def invalid(name, data):
    INVALID.append((name, data))


# ---- valid: the methods -------------------------------------------------

valid("invite-sdp", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
Content-Type: application/sdp
Content-Length: {CL}
""", SDP_BIG))

valid("ack", sip("""ACK sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds9
Route: <sip:p1.example.com;lr>
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 ACK
Content-Length: 0
"""))

valid("bye", sip("""BYE sip:alice@pc33.atlanta.example.com SIP/2.0
Via: SIP/2.0/TCP 192.0.2.4:5060;branch=z9hG4bKnashds10;received=192.0.2.4
Max-Forwards: 69
From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
To: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 231 BYE
Content-Length: 0
"""))

valid("cancel", sip("""CANCEL sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 CANCEL
Content-Length: 0
"""))

valid("register", sip("""REGISTER sip:registrar.biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Bob <sip:bob@biloxi.example.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
Contact: <sip:bob@192.0.2.4>
Expires: 7200
Content-Length: 0
"""))

valid("options-no-content-length", sip("""OPTIONS sip:carol@chicago.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877
Max-Forwards: 70
To: <sip:carol@chicago.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 63104 OPTIONS
Contact: <sip:alice@pc33.atlanta.example.com>
Accept: application/sdp
"""))

valid("prack", sip("""PRACK sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKprack1
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>;tag=314159
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: 2 PRACK
RAck: 1 1 INVITE
Content-Length: 0
"""))

valid("subscribe", sip("""SUBSCRIBE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/TCP watcherhost.example.com;branch=z9hG4bKnashds7
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=xfg9
Call-ID: 2010@watcherhost.example.com
CSeq: 17766 SUBSCRIBE
Max-Forwards: 70
Event: presence
Accept: application/pidf+xml
Contact: <sip:alice@watcherhost.example.com>
Expires: 600
Content-Length: 0
"""))

valid("notify-pidf", sip("""NOTIFY sip:alice@watcherhost.example.com SIP/2.0
Via: SIP/2.0/TCP server.example.com:5061;branch=z9hG4bKna998sk
From: <sip:bob@biloxi.example.com>;tag=ffd2
To: <sip:alice@atlanta.example.com>;tag=xfg9
Call-ID: 2010@watcherhost.example.com
Event: presence
Subscription-State: active;expires=599
Max-Forwards: 70
CSeq: 8775 NOTIFY
Contact: <sip:server.example.com>
Content-Type: application/pidf+xml
Content-Length: {CL}
""", """<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@biloxi.example.com">
<tuple id="sg89ae"><status><basic>open</basic></status></tuple>
</presence>
"""))

valid("publish", sip("""PUBLISH sip:presentity@example.com SIP/2.0
Via: SIP/2.0/UDP pua.example.com;branch=z9hG4bK652hsge
To: <sip:presentity@example.com>
From: <sip:presentity@example.com>;tag=1234wxyz
Call-ID: 81818181@pua.example.com
CSeq: 1 PUBLISH
Max-Forwards: 70
Expires: 3600
Event: presence
SIP-If-Match: dx200xyz
Content-Length: 0
"""))

valid("info-dtmf", sip("""INFO sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKinfo1
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314161 INFO
Content-Type: application/dtmf-relay
Content-Length: {CL}
""", """Signal=5
Duration=160
"""))

valid("refer", sip("""REFER sip:b@atlanta.example.com SIP/2.0
Via: SIP/2.0/UDP agenta.atlanta.example.com;branch=z9hG4bK2293940223
To: <sip:b@atlanta.example.com>
From: <sip:a@atlanta.example.com>;tag=193402342
Call-ID: 898234234@agenta.atlanta.example.com
CSeq: 93809823 REFER
Max-Forwards: 70
Refer-To: <sip:c@atlanta.example.com?Replaces=12345%40192.0.2.1%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>
Contact: sip:a@atlanta.example.com
Content-Length: 0
"""))

valid("message-addr-spec", sip("""MESSAGE sip:user2@domain.example SIP/2.0
Via: SIP/2.0/TCP user1pc.domain.example;branch=z9hG4bK776sgdkse
Max-Forwards: 70
From: sip:user1@domain.example;tag=49583
To: sip:user2@domain.example
Call-ID: asd88asd77a@192.0.2.1
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: {CL}
""", b"Watson, come here."))

valid("update-rport", sip("""UPDATE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101;branch=z9hG4bKupd1;rport
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314162 UPDATE
Contact: <sip:alice@192.0.2.101>
Content-Length: 0
"""))

valid("extension-method", sip("""FOOBAR sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKfoo
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=foo1
Call-ID: foobar-1@192.0.2.101
CSeq: 1 FOOBAR
Content-Length: 0
"""))

# ---- valid: responses ---------------------------------------------------

valid("resp-100-trying", sip("""SIP/2.0 100 Trying
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.101
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Content-Length: 0
"""))

valid("resp-180-ringing", sip("""SIP/2.0 180 Ringing
Via: SIP/2.0/UDP p1.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.101
Record-Route: <sip:p1.example.com;lr>
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
Contact: <sip:bob@192.0.2.4>
CSeq: 314159 INVITE
Content-Length: 0
"""))

valid("resp-200-sdp", sip("""SIP/2.0 200 OK
Via: SIP/2.0/UDP p1.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.101;rport=5066
Record-Route: <sip:p1.example.com;lr>
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4>
Content-Type: application/sdp
Content-Length: {CL}
""", SDP_ANSWER))

valid("resp-401-digest", sip("""SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;received=192.0.2.4
To: Bob <sip:bob@biloxi.example.com>;tag=2493k59kd
From: Bob <sip:bob@biloxi.example.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
WWW-Authenticate: Digest realm="atlanta.example.com", qop="auth,auth-int", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5
Content-Length: 0
"""))

valid("resp-486-busy", sip("""SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.101
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Content-Length: 0
"""))

valid("resp-503-retry-after", sip("""SIP/2.0 503 Service Unavailable
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK503x;rport=40000;received=198.51.100.7
To: <sip:carol@chicago.example.com>;tag=lb503
From: <sip:alice@atlanta.example.com>;tag=8812
Call-ID: 503-retry@192.0.2.50
CSeq: 5 OPTIONS
Retry-After: 18000;duration=3600
"""))

valid("resp-699", sip("""SIP/2.0 699 Global Torture Failure
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK699
To: <sip:bob@biloxi.example.com>;tag=t699
From: <sip:alice@atlanta.example.com>;tag=f699
Call-ID: 699@192.0.2.101
CSeq: 77 INVITE
Content-Length: 0
"""))

# ---- valid: header syntax ------------------------------------------------

valid("compact-headers", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcompact1
Max-Forwards: 70
t: <sip:bob@biloxi.example.com>
f: "Alice" <sip:alice@atlanta.example.com>;tag=cmp77
i: compact-1@192.0.2.1
CSeq: 1 INVITE
m: <sip:alice@192.0.2.1>
c: application/sdp
l: {CL}
""", SDP_SMALL))

valid("mixed-case-names", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
VIA: SIP/2.0/UDP 192.0.2.2:5070;branch=z9hG4bKcase1
mAX-fORWARDS: 10
tO: <sip:bob@biloxi.example.com>
FROM: <sip:alice@atlanta.example.com>;tag=case2
cALL-iD: MiXeD-CaSe-1@192.0.2.2
CSEQ: 9 OPTIONS
rOUTE: <sip:p9.example.com;lr>
CoNtAcT: <sip:alice@192.0.2.2:5070>
cONTENT-lENGTH: 0
"""))

valid("ws-around-colon", sip("""REGISTER sip:registrar.example.com SIP/2.0
Via\t:\tSIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKws1
Max-Forwards \t: 42
To   :   <sip:alice@example.com>
From:<sip:alice@example.com>;tag=ws3
Call-ID  :   ws-colon-1@192.0.2.7
CSeq :  7   REGISTER
Contact  :  <sip:alice@192.0.2.7:5062>
Content-Length  :  0  
"""))

# RFC 4475 3.1.1.1 (wsinv), rewritten: LWS and folding everywhere allowed.
valid("wsinv", sip("""INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : {CL}
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;rport;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33
""", """v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
"""))

valid("folded-via-to-subject", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP
 192.0.2.33:5070
\t;branch=z9hG4bKfold1
Max-Forwards: 70
To: "Bob
   Folded" <sip:bob@biloxi.example.com>
 ;tag=ft1
From: <sip:alice@atlanta.example.com>;tag=ff1
Subject: I know you're there,
          pick up the phone
\t and talk to me!
Call-ID: folded-1@192.0.2.33
CSeq: 3 MESSAGE
Content-Type: text/plain
Content-Length: {CL}
""", b"hi"))

valid("lowercase-version", sip("""OPTIONS sip:bob@biloxi.example.com sip/2.0
Via: sip/2.0/udp 192.0.2.3:5060;branch=z9hG4bKlower
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=low1
Call-ID: lower-version@192.0.2.3
CSeq: 4 OPTIONS
Content-Length: 0
"""))

valid("three-via-lines", sip("""INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP p2.example.com:5060;branch=z9hG4bKp2x
Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1x;received=192.0.2.111
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKuac
Max-Forwards: 68
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=3via
Call-ID: three-vias@192.0.2.101
CSeq: 1 INVITE
Contact: <sip:alice@192.0.2.101>
Content-Length: 0
"""))

valid("comma-separated-via", sip("""SIP/2.0 200 OK
Via: SIP/2.0/UDP first.example.com:4000;branch=z9hG4bKa1, SIP/2.0/UDP second.example.com:5070;branch=z9hG4bKa2;received=192.0.2.22
Via: SIP/2.0/UDP third.example.com;branch=z9hG4bKa3
To: <sip:bob@biloxi.example.com>;tag=cv1
From: <sip:alice@atlanta.example.com>;tag=cv2
Call-ID: comma-via@192.0.2.22
CSeq: 2 OPTIONS
Content-Length: 0
"""))

valid("ipv6-via", sip("""INVITE sip:[2001:db8::10] SIP/2.0
Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKv6a;received=2001:db8::9;rport=5061
Via: SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKv6b
Max-Forwards: 70
To: <sip:[2001:db8::10]>
From: <sip:alice@[2001:db8::1]>;tag=v6f
Call-ID: ipv6-via@[2001:db8::1]
CSeq: 1 INVITE
Contact: <sip:alice@[2001:db8::1]:5060>
Content-Length: 0
"""))

valid("via-received-rport-value", sip("""SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat1;received=203.0.113.9;rport=1234
To: <sip:bob@biloxi.example.com>;tag=nat2
From: <sip:alice@atlanta.example.com>;tag=nat3
Call-ID: nat-rport@10.0.0.5
CSeq: 20 REGISTER
Contact: <sip:alice@10.0.0.5:5060>;expires=60
Content-Length: 0
"""))

valid("via-rport-no-value-no-port", sip("""REGISTER sip:registrar.example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.5;rport;branch=z9hG4bKnat2
Max-Forwards: 70
To: <sip:alice@example.com>
From: <sip:alice@example.com>;tag=rp1
Call-ID: rport-empty@10.0.0.5
CSeq: 21 REGISTER
Contact: <sip:alice@10.0.0.5>
Content-Length: 0
"""))

valid("via-tls-no-port", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/TLS proxy.example.com;branch=z9hG4bKtls1
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=tls2
From: <sip:alice@atlanta.example.com>;tag=tls3
Call-ID: tls-no-port@proxy.example.com
CSeq: 9 BYE
Content-Length: 0
"""))

valid("route-multi", sip("""INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKrt1
Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Route: <sip:p3.example.com;lr>
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=rt2
From: <sip:alice@atlanta.example.com>;tag=rt3
Call-ID: route-multi@192.0.2.101
CSeq: 2 INVITE
Contact: <sip:alice@192.0.2.101>
Content-Length: 0
"""))

valid("route-display-name-params", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKrt4
Route: "Proxy, One; <x>" <sip:p1.example.com;lr>;foo="a,b" , <sip:p2.example.com;lr>
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=rt5
From: <sip:alice@atlanta.example.com>;tag=rt6
Call-ID: route-display@192.0.2.101
CSeq: 3 BYE
Content-Length: 0
"""))

valid("display-names-with-fake-tags", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKdn1
Max-Forwards: 70
To: "Bob; <not> tag=fake" <sip:bob@biloxi.example.com;tag=notthis>;tag=realto
From: "Alice \\"tag=x\\" <a>" <sip:alice@atlanta.example.com>;tag=realfrom
Call-ID: display-names@192.0.2.101
CSeq: 1 INVITE
Content-Length: 0
"""))

valid("tag-only-inside-uri", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKdn2
Max-Forwards: 70
To: <sip:bob@biloxi.example.com;tag=notthis>
From: sip:alice@atlanta.example.com;tag=addrspec
Call-ID: tag-in-uri@192.0.2.101
CSeq: 1 INVITE
Content-Length: 0
"""))

valid("content-length-zero", sip("""OPTIONS sip:192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKcl0
Max-Forwards: 70
To: <sip:192.0.2.4>
From: <sip:probe@192.0.2.101>;tag=cl0
Call-ID: cl-zero@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("content-length-absent-body", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKclabs
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=clabs
Call-ID: cl-absent@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: text/plain
""", "Over UDP the body runs to the end of the datagram.\n"))

valid("content-length-smaller-than-body", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKclsmall
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=clsmall
Call-ID: cl-smaller@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: 10
""", b"0123456789 and these extra bytes are discarded\r\n"))

valid("max-forwards-0", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKmf0
Max-Forwards: 0
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=mf0
Call-ID: mf-zero@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("max-forwards-255", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKmf255
Max-Forwards: 255
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=mf255
Call-ID: mf-255@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

LONG_CALL_ID = ("longcallid-" + "0123456789abcdef" * 18)[:290] + "@192.0.2.1"
assert len(LONG_CALL_ID) == 300
valid("long-call-id", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlong
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=long1
Call-ID: """ + LONG_CALL_ID + """
CSeq: 1 INVITE
Content-Length: 0
"""))

valid("call-id-symbols", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsym
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=sym1
Call-ID: a.b-c_d!e%f*g+h~i'j`k(l)m<n>o:p\\q"r/s[t]u?v{w}x@[2001:db8::7]
CSeq: 1 INVITE
Content-Length: 0
"""))

FAKE_BODY = (b"Call-ID: fake-call-id@body\r\nVia: SIP/2.0/UDP evil.example.com;branch=z9hG4bKevil\r\n"
             b"i: another-fake\r\nContent-Length: 9999\r\n\r\n"
             b"\x00\x00binary\x00part with a bare LF\nand a bare CR\rhere\r\n\x00")
valid("body-with-fake-headers-and-nul", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbody
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=body1
Call-ID: real-call-id@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: application/octet-stream
Content-Length: {CL}
""", FAKE_BODY))

valid("unknown-headers", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
X-Custom: value with: colons: inside
P-Asserted-Identity: "Alice" <sip:alice@atlanta.example.com>
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKunk
Odd!%'*+-._`~Name: token characters only
Subject:
Vias: SIP/2.0/UDP not-a-via.example.com;branch=z9hG4bKnotvia
Call-IDs: not-the-call-id
Max-Forwards: 70
Routes: <sip:not-a-route.example.com;lr>
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=unk1
X-Note: i: nope, Call-ID: nope
Call-ID: unknown-headers@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("lowercase-method-is-extension", sip("""invite sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKlcm
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=lcm1
Call-ID: lowercase-method@192.0.2.101
CSeq: 1 invite
Content-Length: 0
"""))

# Exactly 65535 bytes, the largest UDP payload.
_head = """MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKmax
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=max1
Call-ID: max-size@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: {CL}
"""
_hlen = len(sip(_head, b"", cl=12345))  # five-digit length either way
MAX_BODY = b"x" * (65535 - _hlen)
valid("max-size-65535", sip(_head, MAX_BODY))
assert len(VALID[-1][1]) == 65535

valid("call-id-folded", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKcidf
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=cidf1
From: <sip:alice@atlanta.example.com>;tag=cidf2
Call-ID:
  folded-cid@192.0.2.101
CSeq: 4 BYE
Content-Length: 0
"""))

valid("tabs-in-via-params", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via:\tSIP/2.0/UDP\t192.0.2.5:5062\t;\tbranch\t=\tz9hG4bKtab\t;\treceived = 192.0.2.55
Max-Forwards:\t70
To:\t<sip:bob@biloxi.example.com>\t;\ttag\t=\ttabto
From: <sip:alice@atlanta.example.com>;tag=tabfrom
Call-ID:\ttabs@192.0.2.5\t
CSeq:\t5\tBYE
Content-Length:\t0
"""))

valid("via-sent-by-spaces-around-colon", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/TCP host.example.com : 5080 ;branch=z9hG4bKsp
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=sp1
Call-ID: via-colon-spaces@host.example.com
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("second-via-unparseable", sip("""SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKgood
Via: this is not a via at all
To: <sip:bob@biloxi.example.com>;tag=v2bad1
From: <sip:alice@atlanta.example.com>;tag=v2bad2
Call-ID: second-via-garbage@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("via-quoted-param-with-comma", sip("""SIP/2.0 200 OK
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKq;x="a, SIP/2.0/UDP fake.example.com",SIP/2.0/UDP b.example.com:5099;branch=z9hG4bKr
To: <sip:bob@biloxi.example.com>;tag=q1
From: <sip:alice@atlanta.example.com>;tag=q2
Call-ID: via-quoted@a.example.com
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("resp-lowercase-version", sip("""sip/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKlcresp
To: <sip:bob@biloxi.example.com>;tag=lcr1
From: <sip:alice@atlanta.example.com>;tag=lcr2
Call-ID: lowercase-response@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("resp-empty-reason-phrase", sip("""SIP/2.0 180 
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKnoreason
To: <sip:bob@biloxi.example.com>;tag=nr1
From: <sip:alice@atlanta.example.com>;tag=nr2
Call-ID: empty-reason@192.0.2.101
CSeq: 1 INVITE
Content-Length: 0
"""))

valid("tel-request-uri", sip("""INVITE tel:+12125551212;phone-context=example.com SIP/2.0
Via: SIP/2.0/UDP gw.example.com:5060;branch=z9hG4bKtel
Max-Forwards: 70
To: <tel:+12125551212>
From: "Gateway" <sip:+18005551234@gw.example.com;user=phone>;tag=tel1
Call-ID: tel-uri@gw.example.com
CSeq: 1 INVITE
Content-Length: 0
"""))

valid("extension-transport-wss", sip("""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf
Max-Forwards: 70
To: <sip:alice@example.com>
From: <sip:alice@example.com>;tag=65bnmj.34asd
Call-ID: aiuy7k9njasd
CSeq: 1 REGISTER
Supported: path, outbound, gruu
Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"
Content-Length: 0
"""))

valid("content-length-leading-zeros", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKclz
Max-Forwards: 007
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=clz
Call-ID: cl-leading-zeros@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: 0005
""", b"hello"))

valid("cseq-max", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKcsmax
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=csmax
Call-ID: cseq-max@192.0.2.101
CSeq: 2147483647 OPTIONS
Content-Length: 0
"""))

valid("body-starts-with-crlf", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbcrlf
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=bcrlf
Call-ID: body-crlf@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: {CL}
""", b"\r\n\r\nabcd"))

valid("uppercase-compact-headers", sip("""ACK sip:bob@192.0.2.4 SIP/2.0
V: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKucc
Max-Forwards: 70
T: <sip:bob@biloxi.example.com>;tag=ucc1
F: <sip:alice@atlanta.example.com>;tag=ucc2
I: upper-compact@192.0.2.101
CSeq: 1 ACK
M: <sip:alice@192.0.2.101>
L: 0
"""))

valid("param-name-case-and-spaces", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;BRANCH=z9hG4bKUP;Received=192.0.2.1;RPORT=999
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;TAG=UpTag
From: <sip:alice@atlanta.example.com> ; tag = spaced
Call-ID: param-case@192.0.2.101
CSeq: 2 BYE
Content-Length: 0
"""))

valid("register-contact-star", sip("""REGISTER sip:registrar.biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKstar
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Bob <sip:bob@biloxi.example.com>;tag=star1
Call-ID: contact-star@bobspc
CSeq: 1900 REGISTER
Contact: *
Expires: 0
Content-Length: 0
"""))

valid("route-fold-before-comma", sip("""ACK sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKrtf
Route: <sip:p1.example.com;lr>
 , <sip:p2.example.com;lr>
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=rtf1
From: <sip:alice@atlanta.example.com>;tag=rtf2
Call-ID: route-fold@192.0.2.101
CSeq: 1 ACK
Content-Length: 0
"""))

valid("via-comma-on-folded-line", sip("""SIP/2.0 200 OK
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,
 SIP/2.0/UDP b.example.com:5080;branch=z9hG4bK2
To: <sip:bob@biloxi.example.com>;tag=vf1
From: <sip:alice@atlanta.example.com>;tag=vf2
Call-ID: via-comma-fold@a.example.com
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("header-text-in-values", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Subject: Call-ID: not-this-one
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKhtv
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=htv
Organization: Via: SIP/2.0/UDP not-a-via.example.com
Call-ID: header-text@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("route-trailing-space", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKrts
Route: <sip:p1.example.com;lr>;x=1   
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=rts1
From: Alice Q. Public <sip:alice@atlanta.example.com>;tag=rts2
Call-ID: route-trailing@192.0.2.101
CSeq: 1 BYE
Content-Length: 0
"""))

valid("via-params-any-order", sip("""SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP 192.0.2.77:5070;rport=5071;maddr=192.0.2.78;ttl=1;received=198.51.100.77;branch=z9hG4bKorder
To: <sip:bob@biloxi.example.com>;tag=ord1
From: <sip:alice@atlanta.example.com>;tag=ord2
Call-ID: params-order@192.0.2.77
CSeq: 1 INVITE
Content-Length: 0
"""))

# The header block's final CRLFCRLF straddles the 192-byte chunk boundary
# at each offset (scanners work in 64-byte chunks).
for at in (189, 190, 191, 192):
    valid("end-marker-at-%d" % at, padded_to_marker("""OPTIONS sip:b@192.0.2.9 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.8:5060;branch=z9hG4bKedge
Call-ID: edge-%d@192.0.2.8
""" % at, """CSeq: 1 OPTIONS
""", at))

# The whole datagram is exactly 192 bytes: no partial chunk at all.
_e = b"BYE sip:b@h SIP/2.0\r\nv:SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards:70\r\nt:<sip:b@h>;tag=2\r\nf:<sip:a@h>;tag=1\r\ni:x\r\nCSeq:1 BYE\r\nl:0\r\n\r\n"
_e = _e.replace(b"z9hG4bK1", b"z9hG4bK" + b"1" * (192 - len(_e) + 1))
assert len(_e) == 192, len(_e)
valid("exactly-192-bytes", _e)

# RFC 4475 3.1.1.2 (intmeth): an extension method of unusual token chars.
# The RFC's message has a literal NUL in a quoted-pair of the To display
# name; siplb drops any NUL in the header block, so it is %00 here.
INTMETH = "!interesting-Method0123456789_*+`.%indeed'~"
valid("rfc4475-intmeth", sip(INTMETH + """ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~
To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>
From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439";tag=_token~1'+`*%!-.
Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/"][?}{
CSeq: 139122385 """ + INTMETH + """
Max-Forwards: 255
extensionHeader-!.%*+_`'~:\ufeffbig
Content-Length: 0
""").replace(b"\x00", b"%00"))

# RFC 4475 3.1.1.4 (esc02): % that is not an escape, also in the method.
valid("rfc4475-esc02", sip("""RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0
"""))

# RFC 4475 3.1.1.5 (lwsdisp): no LWS between display name and <.
valid("rfc4475-lwsdisp", sip("""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0
"""))

# RFC 4475 3.1.1.6 (longreq): long values, many Vias.
_lr_vias = "".join("Via: SIP/2.0/TCP sip%d.example.com:%d;branch=z9hG4bK%d\n" % (i, 5060 + i, i)
                   for i in range(1, 41))
valid("rfc4475-longreq", sip("""INVITE sip:user@example.com SIP/2.0
To: "I have a user name of """ + "extreme" * 60 + """ proportion"<sip:user@example.com:6000;unknownparam1=verylonguparamvalue;longparamnamesarelonger=""" + "x" * 200 + """>;tag=""" + "longtag" * 40 + """
F: sip:""" + "amazinglylongcallername" * 30 + """@example.net;tag=12982424;unknownheaderparamname=unknowheaderparamvalue
Call-ID: longreq.one""" + "reallylongcallid" * 40 + """
Max-Forwards: 69
CSeq: 1 INVITE
Route: <sip:""" + "r" * 300 + """.example.com;lr>
""" + _lr_vias + """Contact: <sip:amazinglylongcallername@host5.example.net>
Content-Type: application/sdp
l: {CL}
""", SDP_SMALL))

# RFC 4475 3.1.1.8 (dblreq): a second message after Content-Length in the
# same datagram: the extra octets are not part of the first message.
valid("rfc4475-dblreq", sip("""REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0
""", sip("""INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Type: application/sdp
Content-Length: {CL}
""", SDP_SMALL)))

# RFC 4475 3.1.1.9 (semiuri): semicolons in the user part of the URI.
valid("rfc4475-semiuri", sip("""OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0
"""))

# RFC 4475 3.1.1.10 (transports): varied and unknown transports, one line.
valid("rfc4475-transports", sip("""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0
"""))

# RFC 4475 3.1.1.12 (unreason): a UTF-8 reason phrase.
valid("rfc4475-unreason", sip("""SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: {CL}
Content-Type: application/sdp
Contact: <sip:user@host198.example.com>
""", SDP_SMALL))

# RFC 4475 3.1.1.3 (escnull): escaped NULs in URIs are just text.
valid("rfc4475-escnull", sip("""REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0
"""))

valid("route-escaped-quote", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKreq
Route: "a \\">, <sip:fake>" <sip:p1.example.com;lr>,<sip:p2.example.com;lr>
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;x=1;tag=after-x;y
From: <sip:alice@atlanta.example.com>;tag=req2
Call-ID: route-escaped-quote@192.0.2.101
CSeq: 7 BYE
Content-Length: 0
"""))

valid("via-fold-before-port-colon", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP host.example.com
 :5090;branch=z9hG4bKfoldport
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=fp1
Call-ID: via-fold-port@host.example.com
CSeq: 1 OPTIONS
Content-Length: 0
"""))


def chunk_edges():
    """Header names across the 64-byte chunk boundaries: "Call-ID" starts
    at byte 60, a header name longer than 64 bytes, and the Via colon is
    byte 256."""
    user = "u" * (60 - len("OPTIONS sip:@biloxi.example.com SIP/2.0\r\n"))
    start = "OPTIONS sip:" + user + "@biloxi.example.com SIP/2.0\n"
    assert len(crlf(start)) == 60
    head = start + "Call-ID: chunk-edges@192.0.2.1\nX-" + "N" * 98 + ": long name\n"
    before = len(crlf(head)) + len(b"X-Pad: \r\n")
    pad = 256 - len("Via") - before
    head += "X-Pad: " + "p" * pad + "\n"
    assert len(crlf(head)) + 3 == 256
    head += """Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKchunk
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=chunk1
CSeq: 1 OPTIONS
Content-Length: 0
"""
    return sip(head)


valid("header-names-across-chunks", chunk_edges())

# Compact forms that are not the scanner's (RFC 3261 §7.3.3 and later RFCs):
# r is Refer-To, not Route; o Event, k Supported, s Subject, c Content-Type,
# e Content-Encoding, x Session-Expires, b Referred-By, u Allow-Events.
valid("other-compact-forms", sip("""REFER sip:b@atlanta.example.com SIP/2.0
v: SIP/2.0/UDP agenta.atlanta.example.com;branch=z9hG4bKcf1
r: <sip:c@atlanta.example.com>
o: refer
k: replaces, timer
s: transfer
e: identity
x: 1800;refresher=uac
b: <sip:a@atlanta.example.com>
u: refer, presence
t: <sip:b@atlanta.example.com>
f: <sip:a@atlanta.example.com>;tag=cf2
i: other-compact@agenta.atlanta.example.com
CSeq: 2 REFER
Max-Forwards:
 	 70
c: text/plain
l: {CL}
""", b"x"))

valid("route-tab-before-comma", sip("""ACK sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKrtt
Route:	<sip:p1.example.com;lr>	,	<sip:p2.example.com;lr>
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=rtt1
From: <sip:alice@atlanta.example.com>;tag=rtt2
Call-ID: route-tab@192.0.2.101
CSeq: 1 ACK
Content-Length: 0
"""))

# ---- valid: near misses of the stricter checks (Call-ID word@word,
# name-addr quoting, one Content-Length, Via and CSeq present) --------------

# RFC 3261 §25.1: callid = word ["@" word]; every punctuation a word allows,
# on both sides of the '@'.
CALLID_PUNCT = "-.!%*_+`'~()<>:\\\"/[]?{}"
valid("call-id-every-word-char", sip("""OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKwordchars
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=wc1
Call-ID: azAZ09""" + CALLID_PUNCT + "@" + CALLID_PUNCT + """azAZ09
CSeq: 1 OPTIONS
Content-Length: 0
"""))

valid("call-id-one-char-no-at", sip("""BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKonechar
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>;tag=oc1
From: <sip:alice@atlanta.example.com>;tag=oc2
i:\t"\t
CSeq: 2 BYE
Content-Length: 0
"""))

# name-addr: an escaped quote and an escaped backslash in the display name,
# '<' and ';tag=' inside quoted strings, an empty display name.
valid("display-name-escapes-and-brackets", sip("""INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKesc
Max-Forwards: 70
To: "<sip:fake@evil.example.com" <sip:bob@biloxi.example.com>
From: "Alice \\"the boss\\" O'Hara \\\\" <sip:alice@atlanta.example.com>;tag=esc-from;x="<open;tag=no"
Call-ID: display-escapes@192.0.2.101
CSeq: 1 INVITE
Contact: "" <sip:alice@192.0.2.101>
Content-Length: 0
"""))

valid("to-tag-before-quoted-param", sip("""BYE sip:alice@192.0.2.101 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKtq
Max-Forwards: 70
t: "" <sip:alice@atlanta.example.com>;tag=first;note="a;tag=second \\"x\\""
f: Bob <sip:bob@biloxi.example.com>;tag=bt1
Call-ID: tag-then-quoted@192.0.2.4
CSeq: 3 BYE
Content-Length: 0
"""))

# Content-Length look-alikes that are not a second Content-Length.
valid("content-length-lookalikes", sip("""MESSAGE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKcll
Max-Forwards: 70
X-Content-Length: 99
Content-Lengths: 98
Subject: l: 97, Content-Length: 96
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=cll
Call-ID: cl-lookalikes@192.0.2.101
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: {CL}
""", b"Content-Length: 95\r\nl: 94\r\n"))

# ---- invalid --------------------------------------------------------------

OK_HEAD = """OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=bad1
Call-ID: invalid@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""


def head_with(old, new, head=OK_HEAD):
    """OK_HEAD with one line replaced (new may be several lines or empty)."""
    assert old in head, old
    return head.replace(old, new, 1)


invalid("empty", b"")
_big_head = _head
invalid("too-large-65536", sip(_big_head, MAX_BODY + b"x"))
assert len(INVALID[-1][1]) == 65536

invalid("truncated-no-empty-line", crlf(OK_HEAD))
invalid("truncated-mid-header", crlf(OK_HEAD)[:crlf(OK_HEAD).index(b"Call-ID") + 14])
invalid("truncated-start-line-no-lf", b"OPTIONS sip:bob@biloxi.example.com SIP/2.0")
invalid("truncated-start-line-only", b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n")
invalid("truncated-cr-lf-cr", crlf(OK_HEAD) + b"\r")
invalid("truncated-all-bare-lf", (OK_HEAD + "\n").encode())

invalid("nul-in-header-value", sip(head_with("Max-Forwards: 70\n", "Subject: a\x00b\nMax-Forwards: 70\n")))
invalid("nul-in-call-id", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: inva\x00lid@192.0.2.101")))
invalid("nul-in-request-uri", sip(head_with("OPTIONS sip:bob@biloxi.example.com", "OPTIONS sip:bob\x00@biloxi.example.com")))
invalid("nul-in-header-name", sip(head_with("Max-Forwards:", "Max-For\x00wards:")))
invalid("nul-in-method", sip(head_with("OPTIONS sip:", "OPT\x00IONS sip:")))

invalid("bare-lf-one-header", crlf(OK_HEAD).replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\n") + b"\r\n")
invalid("bare-cr-line-end", crlf(OK_HEAD).replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r") + b"\r\n")
invalid("bare-cr-in-value", crlf(OK_HEAD).replace(b"Max-Forwards: 70\r\n", b"Subject: one\rtwo\r\nMax-Forwards: 70\r\n") + b"\r\n")
invalid("bare-lf-after-start-line", crlf(OK_HEAD).replace(b"SIP/2.0\r\n", b"SIP/2.0\n", 1) + b"\r\n")
invalid("lf-cr-line-end", crlf(OK_HEAD).replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\n\r") + b"\r\n")

invalid("start-missing-request-uri", sip(head_with("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS SIP/2.0")))
invalid("start-missing-version", sip(head_with("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS sip:bob@biloxi.example.com")))
invalid("start-two-spaces", sip(head_with("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS  sip:bob@biloxi.example.com SIP/2.0")))
invalid("start-trailing-space", sip(head_with("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS sip:bob@biloxi.example.com SIP/2.0 ")))
invalid("start-bad-method-char", sip(head_with("OPTIONS sip:", "OPT@IONS sip:")))
invalid("start-tab-separator", sip(head_with("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS\tsip:bob@biloxi.example.com SIP/2.0")))
invalid("start-empty-line-first", b"\r\n" + sip(OK_HEAD))

RESP_HEAD = """SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbadr
To: <sip:bob@biloxi.example.com>;tag=r1
From: <sip:alice@atlanta.example.com>;tag=r2
Call-ID: invalid-response@192.0.2.101
CSeq: 1 OPTIONS
Content-Length: 0
"""
invalid("status-99", sip(head_with("SIP/2.0 200 OK", "SIP/2.0 99 Too Low", RESP_HEAD)))
invalid("status-1000", sip(head_with("SIP/2.0 200 OK", "SIP/2.0 1000 Too High", RESP_HEAD)))
invalid("status-abc", sip(head_with("SIP/2.0 200 OK", "SIP/2.0 abc Letters", RESP_HEAD)))
invalid("status-700", sip(head_with("SIP/2.0 200 OK", "SIP/2.0 700 Out Of Range", RESP_HEAD)))
invalid("status-line-version-only", sip(head_with("SIP/2.0 200 OK", "SIP/2.0", RESP_HEAD)))
invalid("status-two-spaces", sip(head_with("SIP/2.0 200 OK", "SIP/2.0  200 OK", RESP_HEAD)))
invalid("http-response", sip(head_with("SIP/2.0 200 OK", "HTTP/1.1 200 OK", RESP_HEAD)))

invalid("version-3-request", sip(head_with("SIP/2.0\n", "SIP/3.0\n")))
invalid("version-3-response", sip(head_with("SIP/2.0 200 OK", "SIP/3.0 200 OK", RESP_HEAD)))
invalid("version-2-request", sip(head_with("SIP/2.0\n", "SIP/2\n")))
invalid("version-junk-request", sip(head_with("SIP/2.0\n", "SIP/2.0x\n")))
invalid("version-20-response", sip(head_with("SIP/2.0 200 OK", "SIP/20 200 OK", RESP_HEAD)))

invalid("header-without-colon", sip(head_with("Max-Forwards: 70\n", "Max-Forwards 70\n")))
invalid("header-empty-name", sip(head_with("Max-Forwards: 70\n", "Max-Forwards: 70\n: orphan value\n")))
invalid("header-folded-start-line", sip(head_with("SIP/2.0\n", "SIP/2.0\n continued start line\n")))
invalid("header-name-folded-before-colon", sip(head_with("Max-Forwards: 70\n", "Max-Forwards: 70\nSubject\n : folded before the colon\n")))

invalid("call-id-twice", sip(head_with("CSeq:", "Call-ID: second@192.0.2.101\nCSeq:")))
invalid("call-id-and-compact-i", sip(head_with("CSeq:", "i: compact-second@192.0.2.101\nCSeq:")))
invalid("call-id-twice-same-value", sip(head_with("CSeq:", "CALL-ID: invalid@192.0.2.101\nCSeq:")))

invalid("call-id-empty", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID:")))
invalid("call-id-blank", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID:   \t ")))
invalid("call-id-space-inside", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: abc def@192.0.2.101")))
invalid("call-id-tab-inside", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: abc\tdef@192.0.2.101")))

invalid("via-no-transport-slash", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via: SIP/2.0 UDP 192.0.2.101")))
invalid("via-no-host", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via: SIP/2.0/UDP")))
invalid("via-no-host-params", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via: SIP/2.0/UDP ;branch=z9hG4bKbad")))
invalid("via-port-too-big", sip(head_with("192.0.2.101:5060;", "192.0.2.101:70000;")))
invalid("via-port-letters", sip(head_with("192.0.2.101:5060;", "192.0.2.101:50x0;")))
invalid("via-version-3", sip(head_with("Via: SIP/2.0/UDP", "Via: SIP/3.0/UDP")))
invalid("via-empty", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via:")))
invalid("via-junk-after-host", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via: SIP/2.0/UDP 192.0.2.101 junk")))
invalid("via-ipv6-unclosed", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via: SIP/2.0/UDP [2001:db8::1;branch=z9hG4bKbad")))
invalid("via-rport-empty-value", sip(head_with(";branch=z9hG4bKbad", ";rport=;branch=z9hG4bKbad")))
invalid("via-top-bad-second-good", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", "v: SIP/2.0/ 192.0.2.101\nVia: SIP/2.0/UDP 192.0.2.102;branch=z9hG4bKok\n")))

invalid("cseq-no-method", sip(head_with("CSeq: 1 OPTIONS", "CSeq: 1")))
invalid("cseq-not-a-number", sip(head_with("CSeq: 1 OPTIONS", "CSeq: abc OPTIONS")))
invalid("cseq-2-pow-31", sip(head_with("CSeq: 1 OPTIONS", "CSeq: 2147483648 OPTIONS")))
invalid("cseq-extra-token", sip(head_with("CSeq: 1 OPTIONS", "CSeq: 1 OPTIONS extra")))
invalid("cseq-method-only", sip(head_with("CSeq: 1 OPTIONS", "CSeq: OPTIONS")))

invalid("content-length-abc", sip(head_with("Content-Length: 0", "Content-Length: abc")))
invalid("content-length-negative", sip(head_with("Content-Length: 0", "Content-Length: -1")))
invalid("content-length-empty", sip(head_with("Content-Length: 0", "Content-Length:")))
invalid("content-length-two-numbers", sip(head_with("Content-Length: 0", "l: 1 2"), b"xx"))

invalid("max-forwards-256", sip(head_with("Max-Forwards: 70", "Max-Forwards: 256")))
invalid("max-forwards-x", sip(head_with("Max-Forwards: 70", "Max-Forwards: x")))
invalid("max-forwards-negative", sip(head_with("Max-Forwards: 70", "Max-Forwards: -1")))
invalid("max-forwards-huge", sip(head_with("Max-Forwards: 70", "Max-Forwards: 99999999999999999999")))

invalid("no-call-id", sip(head_with("Call-ID: invalid@192.0.2.101\n", "")))
invalid("no-call-id-response", sip(head_with("Call-ID: invalid-response@192.0.2.101\n", "", RESP_HEAD)))
invalid("no-call-id-misspelled", sip(head_with("Call-ID: invalid@192.0.2.101", "CallID: invalid@192.0.2.101")))
invalid("no-call-id-only-in-body", sip(head_with("Call-ID: invalid@192.0.2.101\n", "").replace("Content-Length: 0", "Content-Length: {CL}"),
                                       "Call-ID: in-the-body@192.0.2.101\n"))

invalid("content-length-5000-body-10", sip(head_with("Content-Length: 0", "Content-Length: 5000"), b"0123456789"))
invalid("content-length-1-no-body", sip(head_with("Content-Length: 0", "Content-Length: 1")))
invalid("content-length-huge", sip(head_with("Content-Length: 0", "Content-Length: 4294967296"), b"abc"))

# Faults at the 64-byte chunk edges: a bare CR as byte 63, a bare LF as
# byte 64, a NUL as byte 63 and as byte 64.
_edge = crlf(OK_HEAD) + b"\r\n"
_at = _edge.index(b"Via: ")  # the Via line covers bytes 63 and 64
assert _at < 60 and _edge.index(b"\r\n", _at) > 70
invalid("bare-cr-at-byte-63", _edge[:63] + b"\r" + _edge[64:])
invalid("bare-lf-at-byte-64", _edge[:64] + b"\n" + _edge[65:])
invalid("nul-at-byte-63", _edge[:63] + b"\x00" + _edge[64:])
invalid("nul-at-byte-64", _edge[:64] + b"\x00" + _edge[65:])

# RFC 4475 3.1.2.12 (badvers), 3.1.2.13 (bigcode), 3.1.2.? (lwsruri).
invalid("rfc4475-badvers", sip("""OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0
"""))
invalid("rfc4475-bigcode", sip("""SIP/2.0 4294967301 better not break the receiver
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i
CSeq: 353494 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>
"""))
invalid("rfc4475-lwsruri", sip(head_with("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS sip:bob@biloxi.example.com; lr SIP/2.0")))
invalid("via-ipv6-no-brackets", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad", "Via: SIP/2.0/UDP 2001:db8::9:1;branch=z9hG4bKbad")))
invalid("via-port-empty", sip(head_with("192.0.2.101:5060;", "192.0.2.101:;")))
invalid("call-id-three-times", sip(head_with("CSeq:", "i: two\ncall-id: three\nCSeq:")))
invalid("cseq-huge", sip(head_with("CSeq: 1 OPTIONS", "CSeq: 36893488147419103232 OPTIONS")))
invalid("content-length-plus", sip(head_with("Content-Length: 0", "Content-Length: +0")))
invalid("max-forwards-empty", sip(head_with("Max-Forwards: 70", "Max-Forwards:")))

# Two Content-Length headers, full or compact, in any order: siplb and the
# next hop could read different bodies (a parser differential). Equal
# values too: RFC 3261 §7.3.1 allows one Content-Length, and a hop that
# joins repeated headers into one line reads "5, 5" (docs/scanner.md).
CL_BODY = b"01234"
invalid("content-length-full-then-compact", sip(head_with("Content-Length: 0", "Content-Length: 0\nl: 5"), CL_BODY))
invalid("content-length-compact-then-full", sip(head_with("Content-Length: 0", "l: 5\nContent-Length: 0"), CL_BODY))
invalid("content-length-full-twice", sip(head_with("Content-Length: 0", "Content-Length: 5\nContent-Length: 2"), CL_BODY))
invalid("content-length-compact-twice", sip(head_with("Content-Length: 0", "l: 2\nL: 5"), CL_BODY))
invalid("content-length-twice-same-value", sip(head_with("Content-Length: 0", "Content-Length: 5\nl: 005"), CL_BODY))
invalid("content-length-second-not-a-number", sip(head_with("Content-Length: 0", "Content-Length: 5\nContent-Length: abc"), CL_BODY))
invalid("content-length-second-folded", sip(head_with("Content-Length: 0", "Content-Length: 5\nl:\n 3"), CL_BODY))
invalid("content-length-far-apart", sip(head_with("Via:", "l: 3\nVia:"), CL_BODY))
invalid("content-length-three-times", sip(head_with("Content-Length: 0", "l: 5\nl: 5\nContent-Length: 4"), CL_BODY))
invalid("content-length-257-times", sip(head_with("Content-Length: 0", ("l: 5\n" * 257).rstrip("\n")), CL_BODY))

# RFC 3261 §8.1.1: a request carries Via and CSeq; §8.2.6.2: a response
# copies them. Without them nothing can match a transaction or route a reply.
invalid("no-via-request", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", "")))
invalid("no-via-response", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbadr\n", "", RESP_HEAD)))
invalid("no-via-only-lookalikes", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n",
                                                "Vias: SIP/2.0/UDP 192.0.2.101;branch=z9hG4bKx\nX-Via: SIP/2.0/UDP 192.0.2.101\nSubject: v: SIP/2.0/UDP 192.0.2.101\n")))
invalid("no-via-only-in-body", sip(head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", "").replace("Content-Length: 0", "Content-Length: {CL}"),
                                   "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbody\n"))
invalid("no-cseq-request", sip(head_with("CSeq: 1 OPTIONS\n", "")))
invalid("no-cseq-response", sip(head_with("CSeq: 1 OPTIONS\n", "", RESP_HEAD)))
invalid("no-cseq-misspelled", sip(head_with("CSeq: 1 OPTIONS", "C-Seq: 1 OPTIONS")))
invalid("no-via-no-cseq", sip(head_with("CSeq: 1 OPTIONS\n", "", head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", ""))))
invalid("no-via-no-call-id", sip(head_with("Call-ID: invalid@192.0.2.101\n", "", head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", ""))))
invalid("no-via-bad-call-id", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: two words", head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", ""))))

# Call-IDs that are not word ["@" word].
for _name, _cid in (("two-ats", "a@b@c"), ("trailing-at", "abc@"), ("leading-at", "@host.example.com"),
                    ("only-at", "@"), ("equals", "YWJjZA=="), ("semicolon", "abc;x=1"),
                    ("comma", "a,b@host"), ("hash", "a#b"), ("dollar", "a$b"), ("ampersand", "a&b"),
                    ("caret", "a^b"), ("bar", "a|b"), ("utf8", "caf\u00e9@host")):
    invalid("call-id-" + _name, sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: " + _cid)))
invalid("call-id-compact-two-ats", sip(head_with("Call-ID: invalid@192.0.2.101", "i: x@y@z")))
invalid("call-id-del", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: a\x7fb")))
invalid("call-id-equals-and-space", sip(head_with("Call-ID: invalid@192.0.2.101", "Call-ID: a=b c")))
invalid("call-id-257-times", sip(head_with("CSeq:", "i: x\n" * 256 + "CSeq:")))

# From and To: a quoted string or a '<' left open (RFC 3261 §25.1 name-addr).
OK_FROM = "From: <sip:alice@atlanta.example.com>;tag=bad1"
OK_TO = "To: <sip:bob@biloxi.example.com>"
for _name, _hdr, _ok, _bad in (
        ("from-quote-open", "From", OK_FROM, 'From: "Alice <sip:alice@atlanta.example.com>;tag=bad1'),
        ("from-quote-inside-token", "From", OK_FROM, 'From: Al"ice <sip:alice@atlanta.example.com>;tag=bad1'),
        ("from-escaped-last-quote", "From", OK_FROM, 'From: "Alice \\" <sip:alice@atlanta.example.com>;tag=bad1'),
        ("from-angle-open", "From", OK_FROM, "From: Alice <sip:alice@atlanta.example.com;tag=bad1"),
        ("from-param-quote-open", "From", OK_FROM, 'From: <sip:alice@atlanta.example.com>;tag=bad1;x="abc'),
        ("from-compact-quote-open", "From", OK_FROM, 'f: "x <sip:alice@atlanta.example.com>;tag=bad1'),
        ("to-quote-open", "To", OK_TO, 'To: "Bob <sip:bob@biloxi.example.com>'),
        ("to-angle-open", "To", OK_TO, "To: <sip:bob@biloxi.example.com"),
        ("to-angle-after-params", "To", OK_TO, "To: <sip:bob@biloxi.example.com>;tag=t1 <sip:carol@chicago.example.com"),
        ("to-folded-quote-open", "To", OK_TO, 'To: "Bob\n Smith <sip:bob@biloxi.example.com>'),
        ("to-quote-after-bad-param", "To", OK_TO, 'To: <sip:bob@biloxi.example.com>;;x="y'),
        ("to-compact-angle-open", "To", OK_TO, "t: Bob <sip:bob@biloxi.example.com")):
    invalid(_name, sip(head_with(_ok, _bad)))
invalid("from-and-to-open", sip(head_with(OK_TO, 'To: "Bob', head_with(OK_FROM, "From: <sip:alice"))))
invalid("to-open-and-no-via", sip(head_with(OK_TO, "To: <sip:bob", head_with("Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKbad\n", ""))))

# ---- keep-alives -----------------------------------------------------------

KEEPALIVE.append(("crlf-crlf", b"\r\n\r\n"))
KEEPALIVE.append(("crlf", b"\r\n"))
KEEPALIVE.append(("crlf-x3", b"\r\n\r\n\r\n"))


def write_dir(sub, items):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".sip"):
            os.remove(os.path.join(d, f))
    names = []
    for i, (name, data) in enumerate(items, 1):
        fn = "%03d-%s.sip" % (i, name)
        with open(os.path.join(d, fn), "wb") as fh:
            fh.write(data)
        names.append((sub + "/" + fn, data))
    return names


def main():
    for items in (VALID, INVALID):
        names = [n for n, _ in items]
        assert len(names) == len(set(names)), "duplicate names"
    out = []
    out += write_dir("valid", VALID)
    out += write_dir("invalid", INVALID)
    out += write_dir("keepalive", KEEPALIVE)
    if "--lengths" in sys.argv:
        for path, data in out:
            end = data.find(b"\r\n\r\n")
            hl = end + 4 if end >= 0 else -1
            print("%-55s total=%-6d headers=%-5d rest=%d" %
                  (path, len(data), hl, len(data) - hl if hl >= 0 else -1))
    print("wrote %d valid, %d invalid, %d keepalive" % (len(VALID), len(INVALID), len(KEEPALIVE)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
