"""Ethernet/IPv4/UDP frames and pcap files, for the tests and bench.

The golden tests, the live tests and bench/make_sip_pcap.py build their
input frames here and read siplb-dp's output back.
"""
import struct

from testlib import Failure

IP_DF = 0x4000


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src_mac, dst_mac, src, sport, dst, dport, payload, ip_id, ttl, flags=IP_DF):
    """One Ethernet/IPv4/UDP frame, both checksums filled in."""
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ip_id, flags, ttl, 17, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    ucs = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", ucs) + udp[8:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):  # microseconds, nanoseconds
        raise Failure("%s: not a little-endian pcap file" % path)
    frames, off = [], 24
    while off < len(data):
        incl = struct.unpack("<IIII", data[off:off + 16])[2]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames
