#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden test of siplb-dp: hand-written SIP in, hand-written SIP out.

    golden.py SIPLB_DP SIPLBD

Each case is a message in messages/NN-name.in; what siplb-dp must send for
it is messages/NN-name.out (no .out: dropped). Both are written with LF line
ends and sent/compared with CRLF. The frames go through a real siplb-dp on a
net_pcap port, with the state published by siplbd into a bpffs of our own,
and every output frame is compared byte for byte (Ethernet, IPv4, UDP,
checksums computed here) with the expected message.

Placeholders: $BRANCH (32) and $TAG (16) are the hex digits siplb computes (our Via
branch, the To tag of a stateless reply); they are taken from the output,
then held to what must hold (a retransmission and a CANCEL get the INVITE's
branch). $BE / $BE_ADDR is the backend Maglev picks for the call, read from
the INVITE's destination; $OTHER / $OTHER_ADDR another backend, named by a
Route; $INVITE_BRANCH the INVITE's branch, echoed by the backend's 200 OK.
A request to a backend ends our branch with "-" and the backend's id
($BE, $OTHER), which its responses bring back: they count for it.

Needs root (bpffs mount); exits 77 (skip) otherwise.
"""
import json
import os
import re
import signal
import string
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from testlib import Failure  # noqa: E402
from pcaplib import IP_DF, csum, frame, ip4, mac, read_pcap, write_pcap  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
VIP, VIP_PORT = '192.0.2.100', 5060
CLIENT = '198.51.100.10'
BACKENDS = ['192.0.2.21', '192.0.2.22', '192.0.2.23']
WEIGHTS = [50, 30, 20]
PORT = 'net_pcap0'
NEXT_HOP_MAC = '02:00:00:00:00:02'  # --static-mac: every next hop
PEER_MAC = '02:00:00:00:00:01'      # input frames' destination (not checked)
IN_TTL, OUT_TTL = 61, 64

CONFIG = string.Template('''\
bpffs = "$bpffs";
branch_seed = "0x5eedc0de";
maglev = { table_size = 65537; capacity = 65538; };
# net_pcap0 has no kernel interface: --static-mac gives every next hop's MAC.
dataplane = {
  ports = ( { name = "$port"; address = "192.0.2.1"; prefix = 24; } );
};
vips = (
  { name = "sip"; address = "$vip"; port = $vip_port; mode = "proxy";
    pool = "core"; record_route = true; }
);
pools = (
  { name = "core"; seed = "0x1";
    backends = ( $backends );
  }
);
''')

# (what, message, source address, source port, destination, destination port)
# A destination of None: nothing may come out.
RUN_CLIENT = [
    ('INVITE from a client', '01-invite', CLIENT, 5062, '$BE_ADDR', 5060),
    ('its retransmission', '01-invite', CLIENT, 5062, '$BE_ADDR', 5060),
    ('CANCEL of the INVITE', '03-cancel', CLIENT, 5062, '$BE_ADDR', 5060),
    ('Max-Forwards 0: 483 back', '04-max-forwards-0', CLIENT, 5070, CLIENT, 5072),
    ('malformed (two Call-IDs): dropped', '05-malformed', '198.51.100.66', 5060, None, 0),
]
RUN_DIALOG = [
    ('INVITE retransmission, new siplb-dp', '01-invite', CLIENT, 5062, '$BE_ADDR', 5060),
    ('200 OK from the backend', '07-200-ok', '$BE_ADDR', 5060, CLIENT, 5062),
    ('ACK with our Route', '08-ack', CLIENT, 5062, '$OTHER_ADDR', 5060),
    ('BYE with our Route', '09-bye', CLIENT, 5062, '$OTHER_ADDR', 5060),
    ('BYE from the callee side', '10-callee-bye', '$OTHER_ADDR', 5060, CLIENT, 5062),
]
RUN_NO_BACKEND = [
    ('INVITE with every weight 0: 503', '11-no-backend', CLIENT, 40123, CLIENT, 40123),
]


# ---- frames and pcap files -------------------------------------------------

def sip_text(name, ext, values):
    path = os.path.join(HERE, 'messages', '%s.%s' % (name, ext))
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = string.Template(f.read()).substitute(values)
    return text.replace('\n', '\r\n').encode()


# ---- the programs ----------------------------------------------------------

def run(cmd, what, timeout=60):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode:
        raise Failure('%s failed (exit %d): %s\n%s%s' % (what, p.returncode, ' '.join(cmd),
                                                       p.stdout, p.stderr))
    return p.stdout + p.stderr


def publish(env, weights):
    backends = ', '.join('{ address = "%s"; port = 5060; weight = %d; }' % (a, w)
                         for a, w in zip(BACKENDS, weights))
    conf = os.path.join(env['work'], 'siplb-%s.conf' % '-'.join(map(str, weights)))
    with open(conf, 'w') as f:
        f.write(CONFIG.substitute(bpffs=env['bpffs'], port=PORT, vip=VIP, vip_port=VIP_PORT,
                                  backends=backends))
    run([env['siplbd'], '--config', conf, '--bpffs', env['bpffs'], '--once'], 'siplbd --once')
    return conf


def stats(env):
    out = subprocess.run([env['siplbd'], '--stats', '--json', '--bpffs', env['bpffs']],
                         capture_output=True, text=True, timeout=30)
    if out.returncode:
        raise Failure('siplbd --stats --json: %s' % out.stderr)
    return json.loads(out.stdout)


def run_dp(env, conf, tag, frames, extra=()):
    inp = os.path.join(env['work'], tag + '.in.pcap')
    out = os.path.join(env['work'], tag + '.out.pcap')
    write_pcap(inp, frames)
    log = run([env['dp'], '--no-huge', '--no-pci', '-l', '0', '--file-prefix', env['prefix'],
               '--vdev', '%s,rx_pcap=%s,tx_pcap=%s' % (PORT, inp, out), '--',
               '--config', conf, '--bpffs', env['bpffs'],
               '--static-mac', '%s=%s' % (PORT, NEXT_HOP_MAC), '--exit-when-idle', '500']
              + list(extra), 'siplb-dp (%s)' % tag)
    with open(os.path.join(env['work'], tag + '.log'), 'w') as f:
        f.write(log)
    m = re.search(r'port %s: .*MAC ([0-9A-Fa-f:]{17})' % PORT, log)
    if not m:
        raise Failure('siplb-dp logged no line for port %s:\n%s' % (PORT, log))
    env['port_mac'] = m.group(1).lower()
    check_checksums_tshark(out)
    return read_pcap(out), log


def check_checksums_tshark(pcap):
    out = run(['tshark', '-n', '-r', pcap, '-o', 'ip.check_checksum:TRUE',
               '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.number',
               '-e', 'ip.checksum.status', '-e', 'udp.checksum.status'], 'tshark')
    for line in out.splitlines():
        if line.startswith('Running as user') or not line.strip():
            continue
        fields = line.split('\t')
        if len(fields) != 3 or fields[1:] != ['1', '1']:
            raise Failure('tshark: checksum not good (frame, ip status, udp status; '
                          '1 = good): %r' % line)


# ---- cases -----------------------------------------------------------------

def sub(text, values):
    return string.Template(text).substitute(values)


def input_frames(cases, values):
    return [frame(NEXT_HOP_MAC, PEER_MAC, sub(src, values), sport, VIP, VIP_PORT,
                  sip_text(msg, 'in', values), 0x100 + i, IN_TTL)
            for i, (_, msg, src, sport, _, _) in enumerate(cases)]


def computed(payload):
    """The parts siplb computes: our branch and our To tag (16 hex digits)."""
    found = {}
    for key, pattern in (('BRANCH', rb'z9hG4bKslb([0-9a-f]{32})'),
                         ('TAG', rb';tag=slb([0-9a-f]{16})')):
        m = re.search(pattern, payload)
        if m:
            found[key] = m.group(1).decode()
    return found


def explain(what, got, want):
    parts = [('Ethernet', 0, 14), ('IPv4 header', 14, 34), ('UDP header', 34, 42)]
    lines = ['%s: the output differs from the expected frame' % what]
    for name, a, b in parts:
        if got[a:b] != want[a:b]:
            lines.append('  %s: got %s, want %s' % (name, got[a:b].hex(), want[a:b].hex()))
    if got[42:] != want[42:]:
        lines.append('--- got\n%s--- want\n%s---' % (got[42:].decode(errors='replace'),
                                                       want[42:].decode(errors='replace')))
    return '\n'.join(lines)


def check_case(env, case, ip_id, got, values):
    what, msg, _, _, dst, dport = case
    found = computed(got[42:])
    try:
        payload = sip_text(msg, 'out', dict(values, **found))
    except KeyError as e:
        raise Failure('%s: no %s of ours in the output:\n%s' % (what, e, got[42:].decode(
            errors='replace')))
    want = frame(env['port_mac'], NEXT_HOP_MAC, VIP, VIP_PORT, sub(dst, values), dport,
                 payload, ip_id, OUT_TTL)
    if got != want:
        raise Failure(explain(what, got, want))
    print('ok   %s -> %s:%d' % (what, sub(dst, values), dport))
    return found


def learn_backend(first_out, ids, values):
    """The backend Maglev picked, from the INVITE's destination address."""
    addr = '.'.join(str(b) for b in first_out[30:34])
    if addr not in BACKENDS:
        raise Failure('the INVITE went to %s, not to a backend of the pool' % addr)
    other = BACKENDS[(BACKENDS.index(addr) + 1) % len(BACKENDS)]
    values.update(BE=ids[addr], BE_ADDR=addr, OTHER=ids[other], OTHER_ADDR=other)
    print('ok   Maglev picked backend %d (%s); backend %d (%s) is the Route\'s' %
          (ids[addr], addr, ids[other], other))


def check_run(env, cases, outputs, values):
    """Per case: the output frame and its computed parts (None: dropped)."""
    expected = [(i, c) for i, c in enumerate(cases) if c[4]]
    if len(outputs) != len(expected):
        raise Failure('%d frames out for %d expected (%s)' % (
            len(outputs), len(expected), ', '.join(c[0] for _, c in expected)))
    results = [None] * len(cases)
    for (i, case), got in zip(expected, outputs):
        results[i] = (got, check_case(env, case, 0x100 + i, got, values))
    for i, case in enumerate(cases):
        if not case[4]:
            print('ok   %s: nothing out' % case[0])
    return results


# ---- counters (siplbd --stats --json) --------------------------------------

def counter(snapshot, path):
    v = snapshot
    for key in path:
        v = v[key] if not isinstance(v, list) else next(e for e in v if e.get('id') == key)
    return v


def expect_counters(what, before, after, expected):
    for path, n in expected:
        d = counter(after, path) - counter(before, path)
        if d != n:
            raise Failure('%s: counter %s went up by %d, expected %d' % (
                what, '.'.join(map(str, path)), d, n))
    print('ok   %s: counters %s' % (what, ', '.join(
        '%s+%d' % ('.'.join(map(str, p)), n) for p, n in expected)))


def expect_same(what, a, b):
    if a != b:
        raise Failure('%s:\n%r\n!=\n%r' % (what, a, b))
    print('ok   %s' % what)


# ---- the scenario ----------------------------------------------------------

def client_side(env, conf, ids, values):
    """Requests from clients: INVITE (twice), CANCEL, 483, malformed."""
    before = stats(env)
    outs, log = run_dp(env, conf, 'client', input_frames(RUN_CLIENT, values))
    if not outs:
        raise Failure('siplb-dp sent nothing:\n%s' % log)
    learn_backend(outs[0], ids, values)
    res = check_run(env, RUN_CLIENT, outs, values)
    # the datagram: the IPv4 header differs only by the input's IP id
    expect_same('the retransmission comes out identical', res[1][0][34:], res[0][0][34:])
    expect_same('the CANCEL has the INVITE\'s branch', res[2][1]['BRANCH'],
                res[0][1]['BRANCH'])
    if not re.search(r'drop malformed: 1\b', log):
        raise Failure('siplb-dp did not report the malformed drop:\n%s' % log)
    expect_counters('client side', before, stats(env), [
        (('drops', 'malformed'), 1), (('malformed', 'duplicate_call_id'), 1),
        (('replies', '483'), 1), (('backends', values['BE'], 'msgs'), 3)])
    return res[0]


def dialog_side(env, conf, values, invite):
    """A new siplb-dp: same branch and backend; the 200 OK; routed requests."""
    values['INVITE_BRANCH'] = invite[1]['BRANCH']
    before = stats(env)
    # the scalar scanner here, the fastest in the other runs: the same frames
    outs, log = run_dp(env, conf, 'dialog', input_frames(RUN_DIALOG, values),
                       ['--scan-path', 'scalar'])
    if 'SIP scanner: path=scalar (--scan-path)' not in log:
        raise Failure('siplb-dp did not log the scanner path it was given:\n%s' % log)
    res = check_run(env, RUN_DIALOG, outs, values)
    expect_same('a restarted siplb-dp forwards the INVITE identically', res[0][0][34:],
                invite[0][34:])
    expect_counters('dialog', before, stats(env), [
        (('responses', 'msgs'), 1), (('in_dialog', 'msgs'), 3),
        (('backends', values['BE'], 'responses'), 1),
        (('backends', values['BE'], 'finals'), 1),
        (('backends', values['BE'], '503'), 0),
        (('backends', values['OTHER'], 'responses'), 0),
        (('backends', values['BE'], 'msgs'), 1),
        (('backends', values['OTHER'], 'msgs'), 2)])


def no_backend(env, values):
    """Every weight 0 (a second config published): 503 with Retry-After."""
    conf = publish(env, [0] * len(BACKENDS))
    before = stats(env)
    outs, _ = run_dp(env, conf, 'no-backend', input_frames(RUN_NO_BACKEND, values))
    check_run(env, RUN_NO_BACKEND, outs, values)
    expect_counters('no backend', before, stats(env), [(('replies', '503'), 1)])


def scenario(env):
    conf = publish(env, WEIGHTS)
    ids = {b['address']: b['id'] for b in stats(env)['backends']}
    if sorted(ids) != BACKENDS:
        raise Failure('siplbd published backends %s, expected %s' % (sorted(ids), BACKENDS))
    values = {}
    invite = client_side(env, conf, ids, values)
    dialog_side(env, conf, values, invite)
    no_backend(env, values)


def on_signal(sig, _frame):
    raise SystemExit('golden: signal %d' % sig)


def main(run=scenario):
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print('skip: needs root to mount a bpffs for the state maps')
        return SKIP
    env = {'dp': sys.argv[1], 'siplbd': sys.argv[2],
           'bpffs': '/run/siplb-golden-%d' % os.getpid(),
           'prefix': 'siplb-golden-%d' % os.getpid()}  # EAL's runtime files
    os.makedirs(env['bpffs'])
    if subprocess.run(['mount', '-t', 'bpf', 'bpf', env['bpffs']]).returncode:
        os.rmdir(env['bpffs'])
        print('skip: cannot mount a bpffs on %s' % env['bpffs'])
        return SKIP
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    env['work'] = tempfile.mkdtemp(prefix='siplb-golden-')
    try:
        run(env)
    except (Failure, subprocess.TimeoutExpired) as e:
        print('FAIL %s\n(inputs, outputs and logs kept in %s)' % (e, env['work']))
        return 1
    finally:
        subprocess.run(['umount', env['bpffs']])
        os.rmdir(env['bpffs'])
        subprocess.run(['rm', '-rf', '/var/run/dpdk/' + env['prefix']])
    subprocess.run(['rm', '-rf', env['work']])
    print('golden: all cases pass')
    return 0


if __name__ == '__main__':
    sys.exit(main())
