#!/usr/bin/env python3
"""seeds.py SHARED OUTDIR - seed corpora for the fuzz harnesses.

reader/: every capture of the shared corpus, whole.  decode/: each
distinct frame of the classic pcaps, prefixed by the harness's link type
selector byte (its index in fuzz_decode.c's table).  h2/: the two byte
streams of each TCP connection of the classic pcaps, in fuzz_h2.c's
layout.  policy/: the shipped policy and the generator profiles, with
fuzz_policy.c's selector byte.  body/, gzip/ and l7trace/: small documents
written here, of the shapes `redact --l7-out` and gRPC/REST carry.
"""
import base64
import glob
import hashlib
import gzip
import json
import os
import shutil
import struct
import sys

SELECTOR = {1: 0, 0: 1, 101: 2, 108: 3, 113: 4, 228: 5, 229: 6, 276: 7}


def frames(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return
    magic = data[:4]
    end = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
           b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if not end:
        return
    link = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    if link not in SELECTOR:
        return
    off = 24
    while off + 16 <= len(data):
        cap = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + cap]
        off += 16 + cap
        yield bytes([SELECTOR[link]]) + frame


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STREAM_MAX = 16384


def tcp_segment(frame):
    """(src, sport, dst, dport, seq, flags, payload) of an Ethernet
    frame carrying IPv4 or IPv6 TCP, or None."""
    off, etype = 14, struct.unpack(">H", frame[12:14])[0]
    while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
        etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 15) * 4
        total = struct.unpack(">H", frame[off + 2:off + 4])[0]
        if frame[off + 9] != 6:
            return None
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        end, off = off + total, off + ihl
    elif etype == 0x86DD and len(frame) >= off + 40:
        if frame[off + 6] != 6:
            return None
        plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        end, off = off + 40 + plen, off + 40
    else:
        return None
    if len(frame) < off + 20:
        return None
    sport, dport, seq = struct.unpack(">HHI", frame[off:off + 8])
    doff, flags = (frame[off + 12] >> 4) * 4, frame[off + 13]
    return src, sport, dst, dport, seq, flags, frame[off + doff:end]


def tcp_streams(path):
    """The in-order byte streams (client, server) of each connection."""
    conns = {}
    for f in frames(path):
        if f[0] != 0:  # selector 0: Ethernet
            continue
        t = tcp_segment(f[1:])
        if not t:
            continue
        src, sport, dst, dport, seq, flags, data = t
        a, b = (src, sport), (dst, dport)
        key = (a, b) if (a, b) in conns or (b, a) not in conns else (b, a)
        c = conns.setdefault(key, {})
        side = c.setdefault(a, [None, bytearray()])
        if flags & 2:  # SYN
            side[0] = seq + 1
            continue
        if side[0] is None:
            side[0] = seq
        if seq == side[0] and data and len(side[1]) < STREAM_MAX:
            side[1] += data
            side[0] = (seq + len(data)) & 0xFFFFFFFF
    for (a, b), c in conns.items():
        cli = bytes(c.get(a, [0, b""])[1])
        srv = bytes(c.get(b, [0, b""])[1])
        if cli or srv:
            yield cli, srv


def h2_seed(cli, srv, mss_sel):
    """fuzz_h2.c's layout: byte 1 puts the split where it falls on
    len(cli); the server stream is cut to make that exact."""
    h2 = cli.startswith(PREFACE)
    if h2:
        cli = cli[len(PREFACE):]
    best = None
    for b in range(1, 255):
        hi = -(-(len(cli) + 1) * 255 // b) - 1
        t = min(hi, len(cli) + len(srv))
        if t * b // 255 == len(cli) and (not best or t > best[1]):
            best = (b, t)
    if not best:
        return None
    b, t = best
    return bytes([mss_sel | (0 if h2 else 0x80), b]) + cli + \
        srv[:t - len(cli)]


BODY_SEEDS = [
    b"\x00" + json.dumps({"user": "alice", "id": 7, "tags": ["a", "\u00e9"],
                         "n": None, "ok": True, "x": {"y": [1.5]}}).encode(),
    b'\x00["caf\\u00e9", "line\\nbreak", {"k": "v"}]',
    b"\x01\x08\x96\x01\x12\x07testing\x1a\x03\x08\x96\x01",
    b"\x01\x0a\x05alice\x10\x2a\x1a\x04\x00\x01\x02\xff"
    b"\x21\x00\x00\x00\x00\x00\x00\xf0\x3f\x2d\x00\x00\x80\x3f",
]


def l7_record(method, path, body, grpc):
    enc = {"size": len(body), "encoding": "base64",
           "data": base64.b64encode(body).decode()}
    hdrs = [[":method", method], [":path", path]]
    if grpc:
        hdrs.append(["content-type", "application/grpc"])
    return json.dumps({
        "v": 1, "flow": {"client": {"ip": "198.18.7.1", "port": 40000},
                         "server": {"ip": "198.18.7.2", "port": 8080}},
        "conn": 7, "stream": 1, "proto": "h2c", "start_ns": 2000,
        "duration_ns": 9, "method": method, "scheme": "http",
        "authority": "api.x", "path": path,
        "request": {"headers": hdrs, "trailers": [], "body": enc},
        "response": {"headers": [[":status", "200"]],
                     "trailers": [["grpc-status", "0"]],
                     "body": {"size": 0, "encoding": "none"},
                     "status": 200},
        "grpc_status": "0", "complete": True}).encode()


def write(out, sub, data, name=None):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, sub, name), "wb") as fh:
        fh.write(data)


def static_seeds(out, tree):
    for d in BODY_SEEDS:
        write(out, "body", d)
    grpc = l7_record("POST", "/corpus.Users/GetUser",
                     b"\x00\x00\x00\x00\x02\x08\x01", True)
    rest = l7_record("PUT", "/v1/users/7", b'{"a":1}', False)
    write(out, "l7trace", grpc + b"\n" + rest + b"\n\n" + rest[:40] + b"\n")
    write(out, "l7trace", rest.replace(b'"conn": 7', b'"conn": 8') + b"\n")
    for d in BODY_SEEDS:
        if d[0] == 1:  # a protobuf message, gzipped as gRPC sends it
            write(out, "gzip", b"\x10" + gzip.compress(d[1:], mtime=0))
            # ... and as it is, for the harness to gzip (bit 7).
            write(out, "gzip", b"\x90" + d[1:])
    write(out, "gzip", b"\x0a" + gzip.compress(b"\x0a\x00" * 4096, mtime=0))
    write(out, "gzip", b"\x10" + gzip.compress(b"{\"a\":1}", mtime=0))
    yamls = [os.path.join(tree, "config", "policy-default.yaml")]
    yamls += sorted(glob.glob(os.path.join(tree, "config", "*", "*.yaml")))
    for y in yamls:
        sel = b"\x00" if y.endswith("policy-default.yaml") else b"\x01"
        write(out, "policy", sel + open(y, "rb").read())


def main():
    shared, out = sys.argv[1], sys.argv[2]
    tree = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..")
    for sub in ("reader", "decode", "h2"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    static_seeds(out, tree)
    for d in ("public", "generated"):
        folder = os.path.join(shared, "corpus", d)
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(folder, name)
            if os.path.getsize(path) < 1 << 20:
                shutil.copy(path, os.path.join(out, "reader", name))
            for f in frames(path):
                h = hashlib.sha1(f).hexdigest()[:16]
                with open(os.path.join(out, "decode", h), "wb") as fh:
                    fh.write(f)
            for i, (cli, srv) in enumerate(tcp_streams(path)):
                # Segments of 1290 to 1450 bytes: one byte each would
                # make an input tens of thousands of packets.
                seed = h2_seed(cli, srv, 63 - i % 8)
                if seed:
                    write(out, "h2", seed)


if __name__ == "__main__":
    main()
