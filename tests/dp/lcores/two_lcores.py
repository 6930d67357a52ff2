#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two worker lcores, each serving its own queue of every port.

    two_lcores.py SIPLB_DP SIPLBD

siplb-dp runs with `-l 0,1` on a net_pcap port with two RX and two TX
queues (one rx_pcap and one tx_pcap per queue: net_pcap has no RSS, each
queue reads its own file) and a net_null port, which has RSS and a RETA:
siplb-dp must configure RSS there and spread the RETA over both queues.
Queue 0 carries 3 INVITEs from one client, queue 1 carries 5 from another,
one of them as IPv4 fragments (reassembled by the worker of the queue they
came on). Checked: each worker's counters (siplb-dp's per-lcore lines at
exit) and each TX queue's file hold exactly its own queue's calls; the
totals in the shared stats map (siplbd --stats) are the sum.

Needs root (bpffs mount); exits 77 (skip) otherwise.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'golden'))
import golden as g  # noqa: E402  (frames, pcap files, programs, the bpffs)
import golden_frag as gf  # noqa: E402  (fragments)
from testlib import Failure  # noqa: E402

NULL_PORT = 'net_null0'
CLIENTS = [('198.51.100.10', 5062, 3), ('198.51.100.20', 5064, 5)]  # queue 0, queue 1

CONFIG = '''\
bpffs = "{bpffs}";
dataplane = {{ ports = (
  {{ name = "{pcap}"; address = "192.0.2.1"; prefix = 24; }},
  {{ name = "{null}"; address = "203.0.113.1"; prefix = 24; }} ); }};
vips = ( {{ name = "sip"; address = "{vip}"; port = {vport}; pool = "core"; }} );
pools = ( {{ name = "core"; backends = ( {backends} ); }} );
'''

INVITE = '''\
INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP {addr}:{port};branch=z9hG4bK{n}q{queue}
Max-Forwards: 70
From: <sip:alice@atlanta.example.com>;tag={n}
To: <sip:bob@biloxi.example.com>
Call-ID: q{queue}-call{n}@atlanta.example.com
CSeq: 1 INVITE
Contact: <sip:alice@{addr}:{port}>
Content-Length: {body_len}

{body}'''


def invite(queue, n, addr, port, body=''):
    text = INVITE.format(queue=queue, n=n, addr=addr, port=port, body=body,
                         body_len=len(body))
    return text.replace('\n', '\r\n').encode()


def queue_frames(queue, addr, port, count):
    """count INVITEs from one client; the last one big, as IPv4 fragments on
    queue 1 (a worker must get all of a datagram's fragments)."""
    frames = []
    for n in range(count):
        big = queue == 1 and n == count - 1
        payload = invite(queue, n, addr, port, 'x' * 3000 if big else '')
        fr = g.frame(g.NEXT_HOP_MAC, g.PEER_MAC, addr, port, g.VIP, g.VIP_PORT, payload,
                     0x200 + 16 * queue + n, g.IN_TTL, 0 if big else g.IP_DF)
        frames += gf.fragments(fr) if big else [fr]
    return frames


def run_dp(env, conf):
    work = env['work']
    args = ['%s' % g.PORT]
    for q, (addr, port, count) in enumerate(CLIENTS):
        g.write_pcap(os.path.join(work, 'in%d.pcap' % q), queue_frames(q, addr, port, count))
        args.append('rx_pcap=%s' % os.path.join(work, 'in%d.pcap' % q))
    args += ['tx_pcap=%s' % os.path.join(work, 'out%d.pcap' % q) for q in range(len(CLIENTS))]
    log = g.run([env['dp'], '--no-huge', '-m', '256', '--no-pci', '-l', '0,1',
                 '--file-prefix', env['prefix'], '--vdev', ','.join(args),
                 '--vdev', '%s,no-rx=1' % NULL_PORT, '--',
                 '--config', conf, '--bpffs', env['bpffs'],
                 '--static-mac', '%s=%s' % (g.PORT, g.NEXT_HOP_MAC),
                 '--static-mac', '%s=02:00:00:00:00:03' % NULL_PORT,
                 '--exit-when-idle', '500'], 'siplb-dp -l 0,1')
    with open(os.path.join(work, 'dp.log'), 'w') as f:
        f.write(log)
    return log


def expect(log, pattern, what):
    m = re.search(pattern, log, re.M)
    if not m:
        raise Failure('%s: no line matching %r in the log:\n%s' % (what, pattern, log))
    line = log[log.rfind('\n', 0, m.start()) + 1:log.find('\n', m.end())]
    print('ok   %s\n       %s' % (what, line.strip()))


def check_queue_output(env, queue, count):
    """TX queue q is worker q's: its file holds that queue's calls, and all of them."""
    frames = g.read_pcap(os.path.join(env['work'], 'out%d.pcap' % queue))
    got = sorted(datagram for _, datagram, _ in gf.datagrams(frames))
    ids = sorted(int(m.group(1)) for d in got
                 for m in [re.search(rb'Call-ID: q%d-call(\d+)@' % queue, d)] if m)
    if len(got) != count or ids != list(range(count)):
        raise Failure('TX queue %d sent %d datagrams, calls %s; expected queue %d\'s calls '
                      '0..%d' % (queue, len(got), ids, queue, count - 1))
    print('ok   TX queue %d: the %d calls of RX queue %d, no other' % (queue, count, queue))


def scenario(env):
    conf = os.path.join(env['work'], 'siplb.conf')
    backends = ', '.join('{ address = "%s"; port = 5060; weight = %d; }' % (a, w)
                         for a, w in zip(g.BACKENDS, g.WEIGHTS))
    with open(conf, 'w') as f:
        f.write(CONFIG.format(bpffs=env['bpffs'], pcap=g.PORT, null=NULL_PORT, vip=g.VIP,
                              vport=g.VIP_PORT, backends=backends))
    g.run([env['siplbd'], '--config', conf, '--once'], 'siplbd --once')
    before = g.stats(env)
    log = run_dp(env, conf)
    expect(log, r'port %s: net_pcap has no RSS for IP: each of its 2 RX queues' % g.PORT,
           'net_pcap: no RSS, a file per queue')
    expect(log, r'port %s: RSS on ipv4-udp ipv6-udp ipv4-frag ipv6-frag ipv4 ipv6 over 2 '
           r'queues, RETA of \d+ entries: spread evenly' % NULL_PORT,
           'net_null: RSS on UDP ports and addresses, fragments on addresses, RETA spread')
    for q, (_, _, count) in enumerate(CLIENTS):
        expect(log, r'info siplb-dp: lcore %d: queue %d of 2 ports$' % (q, q),
               'lcore %d polls queue %d' % (q, q))
        expect(log, r'^  lcore %d queue %d: %d requests in, 0 responses relayed, 0 dropped$'
               % (q, q, count), 'lcore %d counted the %d requests of queue %d' % (q, count, q))
        check_queue_output(env, q, count)
    expect(log, r'IPv4 datagrams: 1 reassembled', 'the fragmented INVITE reassembled')
    after = g.stats(env)
    total = sum(b['msgs'] for b in after['backends']) - sum(b['msgs'] for b in before['backends'])
    if total != sum(c for _, _, c in CLIENTS):
        raise Failure('the stats map counts %d requests to backends, expected %d' % (
            total, sum(c for _, _, c in CLIENTS)))
    print('ok   the stats map sums both lcores: %d requests to backends' % total)


if __name__ == '__main__':
    sys.exit(g.main(run=scenario))
