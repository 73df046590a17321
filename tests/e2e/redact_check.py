#!/usr/bin/env python3
"""redact_check.py IN OUT - checks a redacted trace against its input.

Uses tshark as the independent judge:
  - same packet count, wire and captured lengths, ns timestamps;
  - no checksum (IPv4, TCP, UDP, ICMP, ICMPv6, GRE) that is bad in OUT
    unless it was bad in the same packet of IN;
  - no IPv4, IPv6 or MAC address of IN (any layer, ICMP quotations
    included) appears in OUT, neither in a decoded field nor anywhere in
    the raw bytes, except the special addresses the policy keeps on
    purpose (unspecified, broadcast, loopback, well-known multicast).
Exits 0 when all hold, 1 with the differences.
"""
import ipaddress
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_tshark import epoch_ns  # noqa: E402

CKSUMS = ["ip.checksum.status", "tcp.checksum.status",
          "udp.checksum.status", "icmp.checksum.status",
          "icmpv6.checksum.status", "gre.checksum.status"]
ADDRS4 = ["ip.src", "ip.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4"]
ADDRS6 = ["ipv6.src", "ipv6.dst", "icmpv6.nd.ns.target_address",
          "icmpv6.nd.na.target_address"]
MACS = ["eth.src", "eth.dst", "arp.src.hw_mac", "arp.dst.hw_mac",
        "icmpv6.opt.linkaddr"]
PREFS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
         "-o", "udp.check_checksum:TRUE"]


ALL = ["frame.time_epoch", "frame.len", "frame.cap_len"] + CKSUMS + \
    ADDRS4 + ADDRS6 + MACS


def fields(path):
    """One row per packet, ALL fields (records without a link type, such
    as custom blocks, are skipped).  One tshark run per file."""
    cmd = ["tshark", "-r", path, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-e", "frame.encap_type"] + PREFS
    for n in ALL:
        cmd += ["-e", n]
    p = subprocess.run(cmd, capture_output=True, text=True)
    rows = [line.split("\t") for line in p.stdout.splitlines()]
    return [dict(zip(ALL, r[1:])) for r in rows if r[0]]


def frames(rows):
    return [(epoch_ns(r["frame.time_epoch"]), int(r["frame.len"]),
             int(r["frame.cap_len"])) for r in rows]


def packet_bytes(path):
    """The packet data of a pcapng file as tracewarp writes it (one
    section, little-endian): the enhanced packet blocks' data, not the
    file's own headers, whose fields could match a short pattern."""
    raw = open(path, "rb").read()
    out, pos = [], 0
    while pos + 12 <= len(raw):
        btype, blen = struct.unpack_from("<II", raw, pos)
        if blen < 12:
            break
        if btype == 6:
            caplen = struct.unpack_from("<I", raw, pos + 20)[0]
            out.append(raw[pos + 28:pos + 28 + caplen])
        pos += blen
    return b"|".join(out)


def bad_checksums(rows):
    """{(frame, field, occurrence)} of checksums tshark calls bad (0)."""
    bad = set()
    for i, row in enumerate(rows):
        for name in CKSUMS:
            val = row[name]
            for k, v in enumerate(val.split(",") if val else []):
                if v == "0":
                    bad.add((i + 1, name, k))
    return bad


def kept_on_purpose(text):
    """Addresses the policy keeps whole (see config/POLICY.md)."""
    if ":" in text and len(text) == 17 and text.count(":") == 5:
        m = bytes.fromhex(text.replace(":", ""))
        return (m == b"\xff" * 6 or m == b"\0" * 6 or
                (m[:5] == b"\x01\x80\xc2\0\0" and m[5] < 16) or
                (m[:2] == b"\x33\x33" and m[2:5] == b"\0\0\0") or
                (m[:3] == b"\x01\x00\x5e" and m[3:5] == b"\0\0"))
    a = ipaddress.ip_address(text)
    if a.version == 4:
        v = int(a)
        return (v in (0, 0xffffffff) or (v >> 24) == 127 or
                (v >> 8) == 0xe00000)
    b = a.packed
    return (a in (ipaddress.ip_address("::"), ipaddress.ip_address("::1"))
            or (b[0] == 0xff and b[2:13] == b"\0" * 11))


def addresses(rows):
    found = {}
    for row in rows:
        for val in (row[n] for n in ADDRS4 + ADDRS6 + MACS):
            for text in filter(None, val.split(",")):
                if kept_on_purpose(text):
                    continue
                if text.count(":") == 5 and len(text) == 17:
                    found[text] = bytes.fromhex(text.replace(":", ""))
                else:
                    found[text] = ipaddress.ip_address(text).packed
    return found


def main():
    src, out = sys.argv[1], sys.argv[2]
    errors = []
    rs, ro = fields(src), fields(out)
    a, b = frames(rs), frames(ro)
    if len(a) != len(b):
        errors.append(f"{len(a)} packets in, {len(b)} out")
    for i, (x, y) in enumerate(zip(a, b)):
        if x[0] is None:  # no timestamp (simple packet block)
            x = (y[0],) + x[1:]
        if x != y:
            errors.append(f"frame {i + 1}: in {x}, out {y}")
            break
    new_bad = bad_checksums(ro) - bad_checksums(rs)
    for f, name, k in sorted(new_bad)[:10]:
        errors.append(f"frame {f}: {name} bad in output only")
    orig = addresses(rs)
    after = addresses(ro)
    raw = packet_bytes(out)
    for text, packed in sorted(orig.items()):
        if text in after:
            errors.append(f"address {text} decoded in output")
        elif packed in raw:
            errors.append(f"address {text} in output packet bytes")
    if errors:
        sys.exit(f"{src}:\n  " + "\n  ".join(errors[:20]))
    print(f"{os.path.basename(src)}: {len(a)} packets, {len(orig)} "
          f"addresses hidden, checksums ok")


main()
