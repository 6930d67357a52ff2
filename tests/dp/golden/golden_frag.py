#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden test of siplb-dp with datagrams past the MTU (1500 on net_pcap).

    golden_frag.py SIPLB_DP SIPLBD

The INVITE and 200 OK of golden.py (messages/01-invite, 07-200-ok), padded
with an X-Pad header to a given size, go through a real siplb-dp: as one
frame when they fit the MTU, else as IPv4 fragments (some sent last first).
What comes out is reassembled here and compared byte for byte with the
expected message; every fragment is checked (at most 1500 bytes of IP, the
same IP id, offsets back to back, MF on all but the last, DF clear, IPv4
header checksums) and so is the UDP checksum of the whole. A request our
edits would push past 65,507 bytes of UDP gets a 513 back. The counters
(reassembled, fragmented, replies 513) are read back from siplbd.

Needs root (bpffs mount); exits 77 (skip) otherwise.
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden as g  # noqa: E402  (its frames, pcap files, programs and checks)

MTU = 1500


def padded(name, ext, values, size=None, pad=None):
    """A golden message with an X-Pad header: the input sized `size` bytes,
    or (pad given) the output with the same header."""
    text = g.sip_text(name, ext, values)
    at = text.index(b'Content-Type:')
    if pad is None:
        pad = size - len(text) - len(b'X-Pad: \r\n')
    return text[:at] + b'X-Pad: ' + b'p' * pad + b'\r\n' + text[at:], pad


def fragments(frame, reverse=False):
    """An unfragmented frame as IPv4 fragments of at most MTU bytes."""
    eth, ip, payload = frame[:14], bytearray(frame[14:34]), frame[34:]
    step = (MTU - 20) & ~7
    out = []
    for off in range(0, len(payload), step):
        part = payload[off:off + step]
        more = off + step < len(payload)
        struct.pack_into('!HHH', ip, 2, 20 + len(part), struct.unpack('!H', ip[4:6])[0],
                         (off // 8) | (0x2000 if more else 0))
        struct.pack_into('!H', ip, 10, 0)
        struct.pack_into('!H', ip, 10, g.csum(bytes(ip)))
        out.append(eth + bytes(ip) + part)
    return out[::-1] if reverse else out


def datagrams(frames):
    """Output frames grouped into datagrams (fragments by IP id), each checked
    and reassembled: (IPv4 header of the first, UDP header + payload, count)."""
    groups = {}
    for fr in frames:
        ident, flags = struct.unpack('!HH', fr[18:22])
        if len(fr) - 14 > MTU or g.csum(fr[14:34]) != 0:
            raise g.Failure('frame of %d bytes or bad IPv4 checksum' % len(fr))
        key = ident if flags & 0x3fff else ('whole', len(groups))
        groups.setdefault(key, []).append(fr)
    out = []
    for frs in groups.values():
        data, end = b'', 0
        for i, fr in enumerate(frs):
            flags = struct.unpack('!H', fr[20:22])[0]
            if flags & 0x4000 and len(frs) > 1 or (flags & 0x1fff) * 8 != end or \
               bool(flags & 0x2000) != (i + 1 < len(frs)):
                raise g.Failure('fragment %d of %d: flags/offset %#x after %d bytes' % (
                    i, len(frs), flags, end))
            data += fr[34:]
            end += len(fr) - 34
        ip = frs[0][14:34]
        pseudo = ip[12:20] + struct.pack('!BBH', 0, 17, len(data))
        if struct.unpack('!H', data[4:6])[0] != len(data) or g.csum(pseudo + data) != 0:
            raise g.Failure('UDP length or checksum wrong in a datagram of %d bytes' % len(data))
        out.append((ip, data, len(frs)))
    return out


def check(what, got, src, dst, dport, payload):
    ip, data, n = got
    want = (g.ip4(src), g.ip4(dst), 5060, dport)
    have = (ip[12:16], ip[16:20], *struct.unpack('!HH', data[:4]))
    if have != want or data[8:] != payload:
        raise g.Failure('%s: got %s\n%s\nwant %s\n%s' % (what, have, data[8:200], want,
                                                       payload[:200]))
    print('ok   %s: %d bytes of SIP in %d frame%s' % (what, len(payload), n, 's' * (n > 1)))


def run(env, conf, tag, frames):
    inp = os.path.join(env['work'], tag + '.in.pcap')
    out = os.path.join(env['work'], tag + '.out.pcap')
    g.write_pcap(inp, frames)
    log = g.run([env['dp'], '--no-huge', '--no-pci', '-l', '0', '--file-prefix', env['prefix'],
                 '--vdev', '%s,rx_pcap=%s,tx_pcap=%s' % (g.PORT, inp, out), '--',
                 '--config', conf, '--bpffs', env['bpffs'],
                 '--static-mac', '%s=%s' % (g.PORT, g.NEXT_HOP_MAC), '--exit-when-idle', '500'],
                'siplb-dp (%s)' % tag)
    return datagrams(g.read_pcap(out)), log


def invites(env, conf, ids, values):
    """1,400 bytes (grows past the MTU), 4,000 (fragments last first), 60,000."""
    frames, wants = [], []
    for i, (size, reverse) in enumerate(((1400, False), (4000, True), (60000, False))):
        text, pad = padded('01-invite', 'in', values, size)
        fr = g.frame(g.NEXT_HOP_MAC, g.PEER_MAC, g.CLIENT, 5062, g.VIP, g.VIP_PORT, text,
                     0x200 + i, g.IN_TTL)
        frames += fragments(fr, reverse) if len(fr) - 14 > MTU else [fr]
        wants.append((size, pad))
    before = g.stats(env)
    outs, log = run(env, conf, 'invites', frames)
    if len(outs) != 3:
        raise g.Failure('%d datagrams out for 3 INVITEs' % len(outs))
    if 'IPv4 datagrams: 2 reassembled, 3 sent as fragments' not in log:
        raise g.Failure('siplb-dp did not report its IPv4 datagrams:\n%s' % log)
    be = '.'.join(str(b) for b in outs[0][0][16:20])
    values.update(BE=ids[be], BE_ADDR=be, **g.computed(outs[0][1][8:]))
    for got, (size, pad) in zip(outs, wants):
        check('INVITE of %d bytes' % size, got, g.VIP, be, 5060,
              padded('01-invite', 'out', values, pad=pad)[0])
    g.expect_counters('INVITEs', before, g.stats(env), [
        (('reassembled',), 2), (('fragmented',), 3), (('backends', values['BE'], 'msgs'), 3)])


def response_and_513(env, conf, values):
    """A 4,000-byte 200 OK from the backend; an INVITE too large for our Via."""
    values['INVITE_BRANCH'] = values['BRANCH']
    ok, pad = padded('07-200-ok', 'in', values, 4000)
    big, _ = padded('01-invite', 'in', values, 65507 - 60)
    frames = fragments(g.frame(g.NEXT_HOP_MAC, g.PEER_MAC, values['BE_ADDR'], 5060, g.VIP,
                               g.VIP_PORT, ok, 0x300, g.IN_TTL))
    frames += fragments(g.frame(g.NEXT_HOP_MAC, g.PEER_MAC, g.CLIENT, 5062, g.VIP, g.VIP_PORT,
                                big, 0x301, g.IN_TTL))
    before = g.stats(env)
    outs, _ = run(env, conf, 'response', frames)
    if len(outs) != 2:
        raise g.Failure('%d datagrams out for a 200 OK and a 513' % len(outs))
    check('200 OK of 4,000 bytes', outs[0], g.VIP, g.CLIENT, 5062,
          padded('07-200-ok', 'out', values, pad=pad)[0])
    if not re.match(rb'SIP/2\.0 513 Message Too Large\r\n', outs[1][1][8:]) or outs[1][2] != 1:
        raise g.Failure('no 513 for %d bytes: %r' % (len(big), outs[1][1][8:80]))
    print('ok   INVITE of %d bytes: 513 Message Too Large back' % len(big))
    g.expect_counters('response and 513', before, g.stats(env), [
        (('reassembled',), 2), (('fragmented',), 1), (('responses', 'msgs'), 1),
        (('replies', '513'), 1)])


def scenario(env):
    conf = g.publish(env, g.WEIGHTS)
    ids = {b['address']: b['id'] for b in g.stats(env)['backends']}
    values = {}
    invites(env, conf, ids, values)
    response_and_513(env, conf, values)


if __name__ == '__main__':
    sys.exit(g.main(scenario))
