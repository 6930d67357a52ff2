#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The port's RX checksum verdict: enabled where the port has it, and a bad
checksum still dropped.

    rx_cksum.py SIPLB_DP SIPLBD

siplb-dp runs on one net_tap port (a kernel tap interface of this test's
own, named by its PID), which advertises RTE_ETH_RX_OFFLOAD_UDP_CKSUM: the
port line of the log must say "RX on". The kernel side sends, by an
AF_PACKET socket on the tap, an INVITE with a right UDP checksum, one with a
wrong one and one with none (0): the first and the last reach the backend,
the wrong one is counted as drop bad_checksum (siplbd --stats).

Needs root and /dev/net/tun; exits 77 (skip) otherwise.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'golden'))
import golden as g  # noqa: E402  (frames, programs, the bpffs, counters)
from testlib import Failure, wait_until  # noqa: E402

TAP = 'net_tap0'
IFACE = 'slbrx%d' % (os.getpid() % 100000)

CONFIG = '''\
bpffs = "{bpffs}";
dataplane = {{ ports = ( {{ name = "{tap}"; address = "192.0.2.1"; prefix = 24; }} ); }};
vips = ( {{ name = "sip"; address = "{vip}"; port = {vport}; pool = "core"; }} );
pools = ( {{ name = "core"; backends = ( {{ address = "{backend}"; port = 5060; weight = 1; }} ); }} );
'''


def invite(n):
    return ('INVITE sip:bob@biloxi.example.com SIP/2.0\r\n'
            'Via: SIP/2.0/UDP %s:5062;branch=z9hG4bKrx%d;rport\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:alice@atlanta.example.com>;tag=rx%d\r\n'
            'To: <sip:bob@biloxi.example.com>\r\n'
            'Call-ID: rx-cksum-%d@atlanta.example.com\r\n'
            'CSeq: 1 INVITE\r\n'
            'Content-Length: 0\r\n\r\n' % (g.CLIENT, n, n, n)).encode()


def with_udp_checksum(fr, value):
    """The frame with its UDP checksum field (Ethernet + 20-byte IPv4) set."""
    return fr[:40] + struct.pack('!H', value) + fr[42:]


def frames():
    good, bad, none = (g.frame(g.PEER_MAC, g.NEXT_HOP_MAC, g.CLIENT, 5062, g.VIP, g.VIP_PORT,
                               invite(n), 0x300 + n, g.IN_TTL) for n in range(3))
    right = struct.unpack('!H', bad[40:42])[0]
    return [good, with_udp_checksum(bad, right ^ 0x0101), with_udp_checksum(none, 0)]


def iface_up():
    try:
        with open('/sys/class/net/%s/flags' % IFACE) as f:
            return int(f.read(), 16) & 1
    except OSError:
        return False


def scenario(env):
    if not os.path.exists('/dev/net/tun'):
        print('skip: no /dev/net/tun')
        sys.exit(g.SKIP)
    conf = os.path.join(env['work'], 'siplb.conf')
    with open(conf, 'w') as f:
        f.write(CONFIG.format(bpffs=env['bpffs'], tap=TAP, vip=g.VIP, vport=g.VIP_PORT,
                              backend=g.BACKENDS[0]))
    g.run([env['siplbd'], '--config', conf, '--once'], 'siplbd --once')
    before = g.stats(env)
    log_path = os.path.join(env['work'], 'dp.log')
    with open(log_path, 'w') as log:
        dp = subprocess.Popen([env['dp'], '--no-huge', '-m', '256', '--no-pci', '-l', '0',
                               '--file-prefix', env['prefix'],
                               '--vdev', '%s,iface=%s' % (TAP, IFACE), '--',
                               '--config', conf, '--bpffs', env['bpffs'],
                               '--static-mac', '%s=%s' % (TAP, g.NEXT_HOP_MAC),
                               '--exit-when-idle', '2000'], stdout=log, stderr=log)
    try:
        wait_until(iface_up, 20, 'tap %s up' % IFACE)
        subprocess.run(['sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % IFACE])
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((IFACE, 0))
            for fr in frames():
                s.send(fr)
                time.sleep(0.05)
        dp.wait(timeout=60)
    finally:
        if dp.poll() is None:
            dp.kill()
            dp.wait()
    with open(log_path) as f:
        log = f.read()
    m = re.search(r'info siplb-dp: port %s: .*UDP checksum offload TX \w+ RX (\w+)' % TAP,
                  log)
    if not m or m.group(1) != 'on':
        raise Failure('net_tap advertises RX UDP checksum offload; the port line does not '
                      'say it is on:\n%s' % log)
    print('ok   net_tap: RX checksum offload on')
    after = g.stats(env)
    sent = sum(b['msgs'] for b in after['backends']) - sum(b['msgs'] for b in before['backends'])
    bad = after['drops']['bad_checksum'] - before['drops']['bad_checksum']
    if sent != 2 or bad != 1:
        raise Failure('%d INVITEs to the backend (expected 2: right checksum, none) and %d '
                      'bad_checksum drops (expected 1); log:\n%s' % (sent, bad, log))
    print('ok   right and no checksum forwarded, a wrong one dropped as bad_checksum')


if __name__ == '__main__':
    sys.exit(g.main(run=scenario))
