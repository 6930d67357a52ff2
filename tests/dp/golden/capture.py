#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""SIP capture as HEP v3 (docs/capture.md), through a real siplb-dp on a
net_pcap port with the golden test's messages (golden.py):

  capture.py SIPLB_DP SIPLBD

  all        capture { start = true; }: one HEP packet per message siplb-dp
             sent, each read here chunk by chunk (HEP3_rev12): family, UDP,
             addresses and ports of the frame it sent, SIP type, agent id,
             auth key, time within the run, the payload byte for byte; then
             decoded by sngrep's HEP parser (Debian's sngrep, -E: the Homer
             project's code) into a pcap that tshark's SIP dissector reads:
             the same messages between the same ends; and tshark with
             siplb's HEP dissector (dist/wireshark/hep.lua) reads every
             chunk and the SIP inside.
  off        start = false: siplb-dp sends, nothing is captured.
  rate       rate = 1: one HEP packet, the rest counted over_rate.
  pcap       a live siplbd, siplbctl capture start sip --pcap NAME: the
             file has every frame the VIP received (the malformed one too)
             and sent, byte for byte, and tshark reads it; names that
             could leave pcap_dir, an existing file, a second file, HEP
             without a collector are refused; a reload keeps the file
             going; pcap_max_mb caps it (the rest counted pcap_dropped).

The collector is a UDP socket of this test on 127.0.0.1. Needs root (bpffs
mount); exits 77 (skip) otherwise. siplbctl is found beside siplbd.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden as G  # noqa: E402
from golden import Failure  # noqa: E402

AGENT, PASSWORD = 2001, 'myHep'


def publish(env, collector_port, extra):
    backends = ', '.join('{ address = "%s"; port = 5060; weight = %d; }' % (a, w)
                         for a, w in zip(G.BACKENDS, G.WEIGHTS))
    conf = os.path.join(env['work'], 'capture-%s.conf' % extra.split(';')[0].replace(' ', ''))
    with open(conf, 'w') as f:
        f.write(G.CONFIG.substitute(bpffs=env['bpffs'], port=G.PORT, vip=G.VIP,
                                    vip_port=G.VIP_PORT, backends=backends))
        f.write('capture = { address = "127.0.0.1"; port = %d; agent_id = %d; '
                'password = "%s"; %s };\n' % (collector_port, AGENT, PASSWORD, extra))
    G.run([env['siplbd'], '--config', conf, '--bpffs', env['bpffs'], '--once'], 'siplbd --once')
    return conf


def parse_hep(data):
    """{chunk type: value bytes} of a HEP3 packet, strictly."""
    if data[:4] != b'HEP3' or struct.unpack('!H', data[4:6])[0] != len(data):
        raise Failure('not HEP3 or a wrong total length: %r' % data[:8])
    chunks, off = {}, 6
    while off < len(data):
        vendor, kind, n = struct.unpack('!HHH', data[off:off + 6])
        if vendor != 0 or n < 6 or off + n > len(data) or kind in chunks:
            raise Failure('bad chunk at %d: vendor %d type %d length %d' % (off, vendor, kind, n))
        chunks[kind] = data[off + 6:off + n]
        off += n
    return chunks


def udp_of(frame):
    """(src, dst, sport, dport, payload) of siplb-dp's Ethernet/IPv4/UDP frame."""
    ihl = (frame[14] & 0x0f) * 4
    udp = 14 + ihl
    ulen = struct.unpack('!H', frame[udp + 4:udp + 6])[0]
    return (frame[26:30], frame[30:34], struct.unpack('!H', frame[udp:udp + 2])[0],
            struct.unpack('!H', frame[udp + 2:udp + 4])[0], frame[udp + 8:udp + ulen])


def collect(sock, want, wait=3.0):
    got, end = [], time.time() + wait
    while len(got) < want + 1 and time.time() < end:
        try:
            got.append(sock.recv(65535))
        except socket.timeout:
            pass
    return got


def check_hep(heps, outs, t0, t1):
    if len(heps) != len(outs):
        raise Failure('%d HEP packets for %d messages sent' % (len(heps), len(outs)))
    for i, (h, fr) in enumerate(zip(heps, outs)):
        c = parse_hep(h)
        src, dst, sport, dport, payload = udp_of(fr)
        want = {1: b'\x02', 2: b'\x11', 3: src, 4: dst, 7: struct.pack('!H', sport),
                8: struct.pack('!H', dport), 11: b'\x01', 12: struct.pack('!I', AGENT),
                14: PASSWORD.encode(), 15: payload}
        bad = [k for k, v in want.items() if c.get(k) != v]
        sec, usec = struct.unpack('!I', c[9])[0], struct.unpack('!I', c[10])[0]
        if bad or not t0 <= sec + usec / 1e6 <= t1 or usec >= 1000000:
            raise Failure('HEP packet %d: chunks %s differ (got %s), time %d.%06d not in '
                          '%.3f..%.3f' % (i, bad, {k: c.get(k) for k in bad}, sec, usec, t0, t1))
    print('ok: %d HEP packets, chunk by chunk as the frames siplb-dp sent' % len(heps))


def sent_fields(outs, extra=()):
    """Per frame sent: source, destination, ports, extra, Call-ID, CSeq,
    tab-separated, as tshark -T fields prints them."""
    rows = []
    for fr in outs:
        src, dst, sport, dport, payload = udp_of(fr)
        hdr = dict(line.split(': ', 1) for line in payload.decode().split('\r\n')[1:]
                   if ': ' in line)
        rows.append('\t'.join([socket.inet_ntoa(src), socket.inet_ntoa(dst), str(sport),
                               str(dport), *extra, hdr['Call-ID'], hdr['CSeq']]))
    return rows


def check_sngrep(env, heps, outs):
    """sngrep decodes the HEP packets (from a pcap of them, -E) back into
    SIP packets; tshark reads those."""
    for tool in ('sngrep', 'tshark'):
        if not shutil.which(tool):
            raise Failure('%s not found: ./deps.sh installs it' % tool)
    hep_pcap = os.path.join(env['work'], 'hep.pcap')
    sip_pcap = os.path.join(env['work'], 'hep-decoded.pcap')
    G.write_pcap(hep_pcap, [G.frame(G.PEER_MAC, G.NEXT_HOP_MAC, '127.0.0.1', 40000 + i,
                                    '127.0.0.1', 9060, h, i + 1, 64)
                            for i, h in enumerate(heps)])
    G.run(['sngrep', '-N', '-q', '-F', '-E', '-I', hep_pcap, '-O', sip_pcap], 'sngrep -E')
    got = G.run(['tshark', '-n', '-r', sip_pcap, '-Y', 'sip', '-T', 'fields', '-e', 'ip.src',
                 '-e', 'ip.dst', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'sip.Call-ID',
                 '-e', 'sip.CSeq'], 'tshark on sngrep\'s output').split('\n')
    # sngrep writes a dialog's messages more than once: the set is compared
    got = sorted({line for line in got if line.count('\t') == 5})
    want = sent_fields(outs)
    if got != sorted(set(want)):
        raise Failure('sngrep + tshark read\n%s\nwant\n%s' % ('\n'.join(got), '\n'.join(want)))
    print('ok: sngrep decoded the %d HEP packets; tshark reads the same SIP between the same '
          'ends' % len(outs))


HEP_LUA = os.path.join(HERE, '..', '..', '..', 'dist', 'wireshark', 'hep.lua')


def check_tshark_hep(env, heps, outs):
    """tshark with siplb's HEP dissector (dist/wireshark/hep.lua: Debian's
    tshark 4.0 has none) reads each HEP packet's chunks and hands the
    payload to its SIP dissector."""
    hep_pcap = os.path.join(env['work'], 'hep.pcap')  # check_sngrep's
    fields = ['hep3.src_ip', 'hep3.dst_ip', 'hep3.src_port', 'hep3.dst_port',
              'hep3.proto_type', 'hep3.agent_id', 'hep3.auth_key', 'sip.Call-ID', 'sip.CSeq']
    cmd = ['tshark', '-X', 'lua_script:' + HEP_LUA, '-n', '-r', hep_pcap, '-T', 'fields']
    for name in fields:
        cmd += ['-e', name]
    got = [line for line in G.run(cmd, 'tshark with hep.lua').split('\n')
           if line.count('\t') == len(fields) - 1]
    want = sent_fields(outs, ('1', str(AGENT), PASSWORD))
    if got != want or len(heps) != len(got):
        raise Failure('tshark + hep.lua read\n%s\nwant\n%s' % ('\n'.join(got), '\n'.join(want)))
    print('ok: tshark with hep.lua reads the %d HEP packets: chunks and SIP as sent' % len(got))


def capture_counters(env):
    return G.stats(env)['capture']


def run_case(env, sock, extra, tag):
    conf = publish(env, sock.getsockname()[1], extra)
    before = capture_counters(env)
    t0 = time.time()
    outs, _ = G.run_dp(env, conf, tag, G.input_frames(G.RUN_CLIENT, {}))
    t1 = time.time()
    after = capture_counters(env)
    return outs, collect(sock, len(outs)), {k: after[k] - before[k] for k in after}, t0, t1


def scenario(env):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    sock.settimeout(0.2)
    outs, heps, d, t0, t1 = run_case(env, sock, 'start = true;', 'all')
    if len(outs) != 4:
        raise Failure('siplb-dp sent %d messages, the golden cases make 4' % len(outs))
    check_hep(heps, outs, t0 - 1, t1 + 1)
    if d != {'queued': 4, 'queue_full': 0, 'sent': 4, 'over_rate': 0, 'send_errors': 0,
             'pcap_written': 0, 'pcap_dropped': 0}:
        raise Failure('capture counters moved by %s' % d)
    check_sngrep(env, heps, outs)
    check_tshark_hep(env, heps, outs)
    outs, heps, d, _, _ = run_case(env, sock, 'start = false;', 'off')
    if len(outs) != 4 or heps or any(d.values()):
        raise Failure('capture off: %d sent, %d HEP packets, counters %s' % (
            len(outs), len(heps), d))
    print('ok: start = false: nothing captured')
    outs, heps, d, _, _ = run_case(env, sock, 'start = true; rate = 1;', 'rate')
    if len(heps) != 1 or d['sent'] != 1 or d['over_rate'] != 3 or d['queued'] != 4:
        raise Failure('rate 1: %d HEP packets, counters %s' % (len(heps), d))
    print('ok: rate = 1: one HEP packet, 3 over_rate')
    sock.close()
    pcap_scenario(env)


# ---- pcap files, through a live siplbd and siplbctl -------------------------

def ctl(env, *args, ok=True):
    p = subprocess.run([env['siplbctl'], '--socket', env['sock'], '--json', *args],
                       capture_output=True, text=True, timeout=30)
    if ok and p.returncode:
        raise Failure('siplbctl %s: exit %d: %s' % (' '.join(args), p.returncode, p.stderr))
    if not ok and not p.returncode:
        raise Failure('siplbctl %s: accepted, should be refused: %s' % (' '.join(args), p.stdout))
    return json.loads(p.stdout) if ok else p.stderr


def start_siplbd(env, max_mb):
    conf = os.path.join(env['work'], 'pcap.conf')
    backends = ', '.join('{ address = "%s"; port = 5060; weight = %d; }' % (a, w)
                         for a, w in zip(G.BACKENDS, G.WEIGHTS))
    with open(conf, 'w') as f:
        f.write(G.CONFIG.substitute(bpffs=env['bpffs'], port=G.PORT, vip=G.VIP,
                                    vip_port=G.VIP_PORT, backends=backends))
        f.write('control = { socket = "%s"; };\ncapture = { pcap_dir = "%s"; pcap_max_mb = %d; };\n'
                % (env['sock'], env['pcap_dir'], max_mb))
    log = open(os.path.join(env['work'], 'siplbd.log'), 'w')
    proc = subprocess.Popen([env['siplbd'], '--config', conf, '--bpffs', env['bpffs']],
                            stdout=log, stderr=subprocess.STDOUT)
    end = time.time() + 10
    while not os.path.exists(env['sock']) and time.time() < end and proc.poll() is None:
        time.sleep(0.05)
    if not os.path.exists(env['sock']):
        proc.kill()
        raise Failure('siplbd did not open its socket (log: %s)' % log.name)
    return proc, conf


def check_refusals(env):
    for args, why in ((['capture', 'start', 'sip', '--pcap', '../etc/x'], 'a file name of 1 to'),
                      (['capture', 'start', 'sip', '--pcap', '.hidden'], 'not starting with'),
                      (['capture', 'start', 'sip', '--pcap', 'a/b'], 'a file name of 1 to'),
                      (['capture', 'start', 'nope', '--pcap', 'x'], "no VIP 'nope'"),
                      (['capture', 'start', 'sip'], 'no collector'),
                      (['capture', 'stop', 'all'], '"hep" or "pcap"')):
        err = ctl(env, *args, ok=False)
        if why not in err:
            raise Failure('siplbctl %s: %r does not say %r' % (' '.join(args), err, why))
    if os.listdir(env['pcap_dir']) if os.path.isdir(env['pcap_dir']) else []:
        raise Failure('refused starts left files: %s' % os.listdir(env['pcap_dir']))
    print('ok: names outside pcap_dir, an unknown VIP, HEP without a collector: refused')


def check_pcap_file(path, inputs, outs):
    got = G.read_pcap(path)
    if sorted(got) != sorted(inputs + outs):
        raise Failure('%s: %d frames, want the %d received and %d sent, byte for byte'
                      % (path, len(got), len(inputs), len(outs)))
    with open(path, 'rb') as f:
        if f.read(4) != bytes.fromhex('4d3cb2a1'):
            raise Failure('%s: not a nanosecond pcap' % path)
    sip = [n for n in G.run(['tshark', '-n', '-r', path, '-Y', 'sip', '-T', 'fields', '-e',
                             'frame.number'], 'tshark on the pcap file').split() if n.isdigit()]
    if len(sip) != len(got):
        raise Failure('tshark reads %d SIP frames of %d in %s' % (len(sip), len(got), path))
    print('ok: %s: the %d frames received and %d sent, byte for byte; tshark reads %d as SIP'
          % (os.path.basename(path), len(inputs), len(outs), len(sip)))


def pcap_counters(env):
    c = capture_counters(env)
    return c['pcap_written'], c['pcap_dropped']


def pcap_run(env, conf, proc):
    inputs = G.input_frames(G.RUN_CLIENT, {})
    r = ctl(env, 'capture', 'start', 'sip', '--pcap', 'golden-1')
    path = os.path.join(env['pcap_dir'], 'golden-1.pcap')
    if r['pcap']['file'] != path or r['pcap']['vip'] != 'sip' or r['capturing']:
        raise Failure('capture start --pcap: status %s' % r)
    before = pcap_counters(env)
    outs, _ = G.run_dp(env, conf, 'pcap', inputs)
    after = pcap_counters(env)
    check_pcap_file(path, inputs, outs)
    if (after[0] - before[0], after[1] - before[1]) != (len(inputs) + len(outs), 0):
        raise Failure('pcap counters moved by %s' % ((after[0] - before[0], after[1] - before[1]),))
    err = ctl(env, 'capture', 'start', 'sip', '--pcap', 'golden-2', ok=False)
    if 'golden-1.pcap is being written' not in err:
        raise Failure('a second pcap file while one is written: %r' % err)
    ctl(env, 'config', 'reload')
    if ctl(env, 'capture', 'status')['pcap']['file'] != path:
        raise Failure('config reload stopped the pcap file')
    r = ctl(env, 'capture', 'stop', 'pcap')
    if r['pcap']['file'] is not None:
        raise Failure('capture stop pcap: status %s' % r)
    err = ctl(env, 'capture', 'start', '--pcap', 'golden-1', ok=False)
    if 'exists' not in err:
        raise Failure('capture start --pcap of an existing file: %r' % err)
    print('ok: one file at a time, kept over a reload, stopped; an existing file refused')


def pcap_full(env, conf):
    """1 MB at most: 1,000 INVITEs in and out are more; the file stays under."""
    invite = G.input_frames(G.RUN_CLIENT[:1], {})[0]
    ctl(env, 'capture', 'start', '--pcap', 'golden-full')
    before = pcap_counters(env)
    G.run_dp(env, conf, 'pcap-full', [invite] * 1000)
    after = pcap_counters(env)
    ctl(env, 'capture', 'stop')
    size = os.path.getsize(os.path.join(env['pcap_dir'], 'golden-full.pcap'))
    written, dropped = after[0] - before[0], after[1] - before[1]
    if size > 1 << 20 or not dropped or written + dropped != 2000 or written < 100:
        raise Failure('pcap_max_mb 1: %d bytes, %d written, %d dropped' % (size, written, dropped))
    print('ok: pcap_max_mb = 1: %d bytes, %d frames written, %d dropped and counted'
          % (size, written, dropped))


def pcap_scenario(env):
    env['siplbctl'] = os.path.join(os.path.dirname(env['siplbd']), 'siplbctl', 'siplbctl')
    env['sock'] = os.path.join(env['work'], 'ctl.sock')
    env['pcap_dir'] = os.path.join(env['work'], 'pcap')
    proc, conf = start_siplbd(env, 1)
    try:
        check_refusals(env)
        pcap_run(env, conf, proc)
        pcap_full(env, conf)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == '__main__':
    sys.exit(G.main(scenario))
