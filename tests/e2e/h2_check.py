#!/usr/bin/env python3
"""h2_check.py IN OUT L7 PORTS: tshark judges a redacted HTTP/2 capture.

Input and output must have the same HTTP/2 streams, frames of each type
(HEADERS, DATA...) and gRPC messages (the same lengths and compressed
flags, in order); every header the default policy keeps must have the
same value, every other the same length; the output must have no
malformed packet, expert warning or TCP analysis flag (retransmission,
lost segment, ...) the input did not have; the L7 trace must have one
exchange per request.  Prints what differs, exits 1.
"""
import json
import subprocess
import sys

KEEP = {":method", ":scheme", ":status", ":protocol", "content-type",
        "content-length", "content-encoding", "te", "accept-encoding",
        "grpc-encoding", "grpc-accept-encoding", "grpc-status",
        "grpc-timeout"}
SEP = "\x1f"


def decode_as(ports):
    return [a for p in ports.split(",") for a in ("-d", f"tcp.port=={p},http2")]


def fields(path, port):
    cmd = ["tshark", "-r", path] + decode_as(port) + [
           "-T", "fields", "-E", f"aggregator={SEP}", "-E", "occurrence=a",
           "-e", "http2.streamid", "-e", "http2.type",
           "-e", "grpc.message_length", "-e", "http2.header.name",
           "-e", "http2.header.value", "-e", "grpc.compressed_flag"]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    frames = {}
    streams, grpc, headers = set(), [], []
    for line in out.decode("utf-8", "replace").splitlines():
        sid, types, glen, names, values, gz = (line.split("\t") +
                                               [""] * 6)[:6]
        for t in filter(None, types.split(SEP)):
            frames[t] = frames.get(t, 0) + 1
        streams.update(s for s in sid.split(SEP) if s and s != "0")
        grpc += list(zip(filter(None, glen.split(SEP)),
                         filter(None, gz.split(SEP))))
        if names:
            headers.append(list(zip(names.split(SEP), values.split(SEP))))
    return frames, streams, grpc, headers


def problems(path, port):
    cmd = ["tshark", "-r", path] + decode_as(port) + ["-Y",
           "tcp && (_ws.malformed || _ws.expert.severity >= warning)"]
    out = subprocess.run(cmd, capture_output=True).stdout
    return len(out.splitlines())


def tcp_flags(path, port):
    """How many packets carry each TCP analysis flag."""
    cmd = ["tshark", "-r", path] + decode_as(port) + [
           "-Y", "tcp.analysis.flags", "-T", "fields", "-E",
           f"aggregator={SEP}", "-E", "occurrence=a", "-e", "_ws.expert"]
    out = subprocess.run(cmd, capture_output=True).stdout
    flags = {}
    for line in out.decode("utf-8", "replace").splitlines():
        for f in set(line.split(SEP)):
            if "/Sequence)" in f:  # TCP analysis, not other expert info
                flags[f] = flags.get(f, 0) + 1
    return flags


def main():
    src, dst, l7, port = sys.argv[1:5]
    a, b = fields(src, port), fields(dst, port)
    bad = []
    for i, what in enumerate(["frame types", "streams", "gRPC messages"]):
        if a[i] != b[i]:
            bad.append(f"{what}: {a[i]} in, {b[i]} out")
    if len(a[3]) != len(b[3]):
        bad.append(f"header frames: {len(a[3])} in, {len(b[3])} out")
    for ha, hb in zip(a[3], b[3]):
        for (na, va), (nb, vb) in zip(ha, hb):
            if na != nb:
                bad.append(f"header name {na!r} became {nb!r}")
            elif na in KEEP and va != vb:
                bad.append(f"{na}: {va!r} became {vb!r}")
            elif len(va.encode()) != len(vb.encode()):
                bad.append(f"{na}: length {len(va)} became {len(vb)}")
    pa, pb = problems(src, port), problems(dst, port)
    if pb > pa:
        bad.append(f"expert warnings or malformed: {pa} in, {pb} out")
    fa, fb = tcp_flags(src, port), tcp_flags(dst, port)
    if fa != fb:
        bad.append(f"TCP analysis flags: {fa} in, {fb} out")
    lines = [json.loads(s) for s in open(l7, encoding="utf-8")]
    reqs = sum(1 for h in a[3] for n, _ in h if n == ":method")
    if len(lines) != reqs:
        bad.append(f"L7: {len(lines)} exchanges for {reqs} requests")
    for rec in lines:
        for k in ("flow", "conn", "stream", "start_ns", "method", "path",
                  "request", "response", "duration_ns"):
            if k not in rec:
                bad.append(f"L7: no {k!r} in {rec}")
                break
    for s in bad[:20]:
        print(s)
    print(f"{src}: {sum(a[0].values())} frames, {len(a[1])} streams, "
          f"{len(a[2])} gRPC messages; {len(bad)} differences")
    sys.exit(1 if bad else 0)


main()
