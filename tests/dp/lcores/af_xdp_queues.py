#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""af_xdp on an interface with more queues than siplb-dp has sockets.

    af_xdp_queues.py SIPLB_DP SIPLBD

Two namespaces joined by a veth pair with two queues each way; siplb-dp
runs on `net_af_xdp0,queue_count=1` (DPDK 22.11's af_xdp PMD opens more
than one socket only on a device with ethtool's combined channels, which
veth has not: more sockets need a NIC). A client sends INVITEs from 32
source ports; veth delivers each on the receive queue its flow's hash
picked, as a NIC's RSS would. Checked: siplb-dp warns at start that the
interface has 2 RX queues and it has one socket, and what it warns of is
what happens: the requests that landed on queue 1 never reach siplb-dp and
siplb's XDP program counts them as no_dataplane.

Needs root (namespaces, bpffs); exits 77 (skip) otherwise.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'golden'))
import golden as g  # noqa: E402
from testlib import Failure  # noqa: E402

LB, CLIENT = '192.0.2.1', '192.0.2.10'
SPORTS = range(40000, 40032)

CONFIG = '''\
bpffs = "{bpffs}";
dataplane = {{ ports = ( {{ name = "net_af_xdp0"; iface = "lb"; address = "{lb}";
                          prefix = 24; }} ); }};
vips = ( {{ name = "sip"; address = "{vip}"; port = {vport}; pool = "core"; }} );
pools = ( {{ name = "core"; backends = ( {backends} ); }} );
'''


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def topology(p):
    sh('ip netns add %s-lb && ip netns add %s-cl' % (p, p))
    sh('ip link add lb netns %s-lb numtxqueues 2 numrxqueues 2 type veth peer name cl '
       'netns %s-cl numtxqueues 2 numrxqueues 2' % (p, p))
    for ns, dev, addr in (('lb', 'lb', LB), ('cl', 'cl', CLIENT)):
        sh('ip -n %s-%s addr add %s/24 dev %s && ip -n %s-%s link set %s up'
           % (p, ns, addr, dev, p, ns, dev))
    sh('ip -n %s-lb addr add %s/32 dev lb' % (p, g.VIP))
    sh('ip netns exec %s-cl ethtool -K cl tx off >/dev/null' % p)  # UDP checksums in software


def send_invites(p):
    """One INVITE from each source port, from inside the client's namespace."""
    script = '''
import socket, sys
for n, sport in enumerate(range(%d, %d)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("%s", sport))
    msg = ("INVITE sip:bob@biloxi.example.com SIP/2.0\\r\\n"
           "Via: SIP/2.0/UDP %s:%%d;branch=z9hG4bK%%d\\r\\nMax-Forwards: 70\\r\\n"
           "From: <sip:a@atlanta.example.com>;tag=%%d\\r\\nTo: <sip:bob@biloxi.example.com>\\r\\n"
           "Call-ID: af-xdp-%%d@atlanta.example.com\\r\\nCSeq: 1 INVITE\\r\\n"
           "Content-Length: 0\\r\\n\\r\\n") %% (sport, n, n, n)
    s.sendto(msg.encode(), ("%s", %d))
    s.close()
''' % (SPORTS.start, SPORTS.stop, CLIENT, CLIENT, g.VIP, g.VIP_PORT)
    sh('ip netns exec %s-cl python3 -c %s' % (p, subprocess.list2cmdline([script])))


def run_dp(env, p, lcores, queues, traffic):
    prog = subprocess.run([env['dp'], '--print-xdp-prog'], capture_output=True, text=True,
                          check=True).stdout.strip()
    cmd = ['ip', 'netns', 'exec', '%s-lb' % p, env['dp'], '--no-huge', '-m', '256',
           '--no-pci', '-l', lcores, '--file-prefix', env['prefix'], '--vdev',
           'net_af_xdp0,iface=lb,start_queue=0,queue_count=%d,force_copy=1,xdp_prog=%s'
           % (queues, prog), '--', '--config', env['conf'], '--bpffs', env['bpffs'],
           '--static-mac', 'net_af_xdp0=02:00:00:00:00:02', '--exit-when-idle', '2000']
    path = os.path.join(env['work'], 'dp-%d.log' % queues)
    with open(path, 'w') as out:
        dp = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while 'forwarding' not in open(path).read():
            if dp.poll() is not None or time.time() > deadline:
                raise Failure('siplb-dp did not start:\n%s' % open(path).read())
            time.sleep(0.1)
        if traffic:
            send_invites(p)
        dp.wait(timeout=60)
    finally:
        if dp.poll() is None:
            dp.kill()
            dp.wait()
    return open(path).read()


def scenario(env):
    p = 'slbrss%d' % (os.getpid() % 100000)
    env['conf'] = os.path.join(env['work'], 'siplb.conf')
    backends = ', '.join('{ address = "%s"; port = 5060; weight = %d; }' % (a, w)
                         for a, w in zip(g.BACKENDS, g.WEIGHTS))
    with open(env['conf'], 'w') as f:
        f.write(CONFIG.format(bpffs=env['bpffs'], lb=LB, vip=g.VIP, vport=g.VIP_PORT,
                              backends=backends))
    g.run([env['siplbd'], '--config', env['conf'], '--once'], 'siplbd --once')
    try:
        topology(p)
        before = g.stats(env)
        log = run_dp(env, p, '0', 1, True)
        after = g.stats(env)
    finally:
        for ns in ('lb', 'cl'):
            subprocess.run(['ip', 'netns', 'del', '%s-%s' % (p, ns)])
    m = re.search(r'^.*lb has 2 RX queues and siplb-dp sockets on 1: .*$', log, re.M)
    if not m:
        raise Failure('no warning for one socket on a two-queue interface:\n%s' % log)
    print('ok   one socket on two queues is warned of\n       %s' % m.group(0))
    got = sum(b['msgs'] for b in after['backends']) - sum(b['msgs'] for b in before['backends'])
    lost = (after['xdp']['drop']['no_dataplane'] - before['xdp']['drop']['no_dataplane'])
    if not 0 < got < len(SPORTS) or got + lost != len(SPORTS):
        raise Failure('%d of %d requests forwarded, %d dropped as no_dataplane: expected '
                      'the flows on queue 1 (some, not all) dropped\n%s'
                      % (got, len(SPORTS), lost, log))
    print('ok   as warned: %d of %d requests came on queue 0 and were forwarded, %d on queue '
          '1 were dropped (xdp no_dataplane)' % (got, len(SPORTS), lost))


if __name__ == '__main__':
    sys.exit(g.main(run=scenario))
