#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Routing rules end to end in siplb-dp (docs/rules.md): siplbd publishes a
VIP's rules into a bpffs of our own, siplb-dp applies them to frames on a
net_pcap port.

    dp_rules.py SIPLB_DP SIPLBD

A scanner's INVITE is dropped (drops rule), an INVITE to a 1900 number is
answered 403 (replies rule), REGISTERs for reg.example.com go to the
registrars hashed on the To user (two Call-IDs of one AoR: one registrar;
the AoRs spread over both), other requests to the core pool.

Needs root (bpffs mount); exits 77 (skip) otherwise. Run by golden.py's main.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from testlib import expect  # noqa: E402
from pcaplib import frame, read_pcap, write_pcap  # noqa: E402
import golden as g  # noqa: E402

VIP, CLIENT, PORT = '192.0.2.100', '198.51.100.10', 'net_pcap0'
CORE = ['192.0.2.21', '192.0.2.22', '192.0.2.23']
REGISTRARS = ['192.0.2.31', '192.0.2.32']

CONFIG = '''\
bpffs = "%(bpffs)s";
dataplane = { ports = ( { name = "%(port)s"; address = "192.0.2.1"; prefix = 24; } ); };
vips = ( { name = "sip"; address = "%(vip)s"; port = 5060; pool = "core"; rules = (
  { match = { user_agent = { regex = "friendly-scanner|sipvicious"; }; }; action = "drop"; },
  { match = { method = "REGISTER"; ruri_host = "reg.example.com"; };
    action = "pool registrars"; hash = "to-user"; },
  { match = { ruri_user = { prefix = "1900"; }; }; action = "reply 403 Premium barred"; } ); } );
pools = (
  { name = "core"; backends = ( %(core)s ); },
  { name = "registrars"; backends = ( %(registrars)s ); } );
'''


def backends(addrs):
    return ', '.join('{ address = "%s"; port = 5060; weight = 1; }' % a for a in addrs)


def request(method, ruri, user, call_id, extra=''):
    text = ('%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\n'
            'From: <sip:%s@example.com>;tag=1\r\nTo: <sip:%s@reg.example.com>\r\n'
            'Call-ID: %s\r\nCSeq: 1 %s\r\n%sContent-Length: 0\r\n\r\n'
            % (method, ruri, CLIENT, call_id, user, user, call_id, method, extra))
    return text.encode()


def scenario(env):
    conf = os.path.join(env['work'], 'siplb.conf')
    with open(conf, 'w') as f:
        f.write(CONFIG % {'bpffs': env['bpffs'], 'port': PORT, 'vip': VIP,
                          'core': backends(CORE), 'registrars': backends(REGISTRARS)})
    g.run([env['siplbd'], '--config', conf, '--once'], 'siplbd --once')
    msgs = [request('INVITE', 'sip:bob@example.com', 'a', 'call-1'),
            request('INVITE', 'sip:bob@example.com', 'a', 'scan-1',
                    'User-Agent: friendly-scanner\r\n'),
            request('INVITE', 'sip:19005550100@example.com', 'a', 'premium-1')]
    aors = ['user%d' % i for i in range(12)]
    for i, aor in enumerate(aors):
        msgs += [request('REGISTER', 'sip:reg.example.com', aor, 'reg-%d-a' % i),
                 request('REGISTER', 'sip:reg.example.com', aor, 'reg-%d-b' % i)]
    inp, out = os.path.join(env['work'], 'in.pcap'), os.path.join(env['work'], 'out.pcap')
    write_pcap(inp, [frame('02:00:00:00:00:01', '02:00:00:00:00:02', CLIENT, 5060, VIP, 5060, m,
                           i + 1, 61) for i, m in enumerate(msgs)])
    g.run([env['dp'], '--no-huge', '--no-pci', '-l', '0', '--file-prefix', env['prefix'],
         '--vdev', '%s,rx_pcap=%s,tx_pcap=%s' % (PORT, inp, out), '--', '--config', conf,
         '--static-mac', '%s=02:00:00:00:00:02' % PORT, '--exit-when-idle', '500'], 'siplb-dp')
    sent = {}
    for fr in read_pcap(out):
        dst = '.'.join(str(b) for b in fr[30:34])
        payload = fr[42:].decode()
        call_id = payload.split('\r\nCall-ID: ')[1].split('\r\n')[0]
        sent[call_id] = (dst, payload.split('\r\n')[0])
    expect(sent.get('call-1', ('', ''))[0] in CORE, 'an INVITE to the core pool: %s' % sent)
    expect('scan-1' not in sent, "a scanner's INVITE dropped")
    expect(sent.get('premium-1') == (CLIENT, 'SIP/2.0 403 Premium barred'),
           'a 1900 number answered 403: %s' % (sent.get('premium-1'),))
    for i, aor in enumerate(aors):
        a, b = sent.get('reg-%d-a' % i), sent.get('reg-%d-b' % i)
        expect(a and b and a[0] == b[0] and a[0] in REGISTRARS,
               '%s: both REGISTERs to one registrar: %s %s' % (aor, a, b))
    used = {sent['reg-%d-a' % i][0] for i in range(len(aors))}
    expect(used == set(REGISTRARS), 'the AoRs spread over both registrars: %s' % used)
    st = g.stats(env)
    expect(st['drops']['rule'] == 1 and st['replies']['rule'] == 1,
           'counted: drops %s replies %s' % (st['drops'], st['replies']))


if __name__ == '__main__':
    sys.exit(g.main(run=scenario))  # its bpffs, EAL prefix and work directory, cleaned up
