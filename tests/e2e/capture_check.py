#!/usr/bin/env python3
"""capture_check.py - judges the files `tracewarp capture` wrote.

  valid FILE...          tshark reads each file without an error or a
                         warning, and no FILE.part is left beside it
  match A B [TOL_NS]     A and B hold the same packets, in order, byte
                         for byte, with timestamps within TOL_NS (default
                         0); A and B may be pcap or pcapng
  union A B...           the packets of files B..., in order, are exactly
                         those of A (no loss, no duplicate at a boundary;
                         timestamps within 2 ms: A may come from another
                         socket)
  suffix A B...          the packets of B... are exactly the last ones of
                         A (a ring kept the newest files)
  period SECONDS B...    each file's packets lie in the period its name's
                         HHMMSS (last 6 digits before the sequence) says
  count FILE             prints the number of packets
  udp DST PORT N PPS [SIZE]  sends N numbered UDP datagrams at PPS
Exits 0 when the check holds, 1 with what differs.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time


def read_pcap(data):
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack(end + "I", data[:4])[0]
    mult = 1 if magic == 0xA1B23C4D else 1000
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, cap, wire = struct.unpack(end + "IIII",
                                             data[off:off + 16])
        out.append((sec * 10**9 + frac * mult, wire,
                    data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out


def read_pcapng(data):
    off, out, resol = 0, [], []
    while off + 12 <= len(data):
        btype, blen = struct.unpack("<II", data[off:off + 8])
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            resol.append(tsresol(body[8:]))
        elif btype == 6:
            ifc, hi, lo, cap, wire = struct.unpack("<IIIII", body[:20])
            ts = (hi << 32 | lo) * resol[ifc]
            out.append((ts, wire, body[20:20 + cap]))
        off += blen
    return out


def tsresol(opts):
    """ns per timestamp unit from an IDB's options (if_tsresol = 9)."""
    o = 0
    while o + 4 <= len(opts):
        code, ln = struct.unpack("<HH", opts[o:o + 4])
        if code == 0:
            break
        if code == 9:
            return 10 ** (9 - opts[o + 4])
        o += 4 + (ln + 3) // 4 * 4
    return 1000


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data)
    return read_pcap(data)


def valid(paths):
    bad = []
    for p in paths:
        r = subprocess.run(["tshark", "-r", p, "-q"], capture_output=True,
                           text=True)
        err = [l for l in r.stderr.splitlines()
               if l.strip() and "could be dangerous" not in l]
        if r.returncode != 0 or err:
            bad.append(f"{p}: tshark: {' '.join(err)}")
        if os.path.exists(p + ".part"):
            bad.append(f"{p}.part left behind")
    return bad


def compare_unordered(a, b, tol, what):
    """Two sockets on one device may see a packet sent and a packet
    received at the same time in either order: same multiset of packets,
    each one's timestamps within tol."""
    if len(a) != len(b):
        return [f"{what}: {len(a)} packets against {len(b)}"]
    ka, kb = {}, {}
    for ts, wire, data in a:
        ka.setdefault((wire, data), []).append(ts)
    for ts, wire, data in b:
        kb.setdefault((wire, data), []).append(ts)
    if ka.keys() != kb.keys():
        return [f"{what}: different packets"]
    worst, errs = 0, []
    for k in ka:
        if len(ka[k]) != len(kb[k]):
            errs.append(f"{what}: a packet of {k[0]} bytes seen "
                        f"{len(ka[k])} / {len(kb[k])} times")
            continue
        for x, y in zip(sorted(ka[k]), sorted(kb[k])):
            worst = max(worst, abs(x - y))
    if worst > tol:
        errs.append(f"{what}: timestamps differ by up to {worst} ns")
    print(f"{what}: {len(a)} packets, same bytes, worst timestamp "
          f"difference {worst} ns")
    return errs[:6]


def compare(a, b, tol, what):
    if len(a) != len(b):
        return [f"{what}: {len(a)} packets against {len(b)}"]
    errs = []
    worst = 0
    for i, (x, y) in enumerate(zip(a, b)):
        worst = max(worst, abs(x[0] - y[0]))
        if x[1:] != y[1:] or abs(x[0] - y[0]) > tol:
            errs.append(f"{what}: packet {i + 1} differs: "
                        f"ts {x[0]} / {y[0]}, len {x[1]} / {y[1]}")
            if len(errs) > 5:
                break
    print(f"{what}: {len(a)} packets, same bytes, worst timestamp "
          f"difference {worst} ns")
    return errs


def period(secs, paths):
    errs = []
    for p in paths:
        m = re.search(r"(\d\d)(\d\d)(\d\d)\.\d{6}\.", os.path.basename(p))
        start = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + \
            int(m.group(3))
        for ts, _, _ in packets(p):
            s = (ts // 10**9) % 86400
            if not start <= s < start + secs:
                errs.append(f"{p}: packet at {ts} outside its period")
                break
    return errs


def udp(dst, port, n, pps, size=200):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    pad = b"x" * max(0, size - 8)
    for i in range(n):
        due = t0 + i / pps
        while time.monotonic() < due:
            d = due - time.monotonic()
            if d > 0.001:
                time.sleep(d)
        s.sendto(struct.pack(">Q", i) + pad, (dst, port))


def main(argv):
    cmd, args = argv[1], argv[2:]
    errs = []
    if cmd == "valid":
        errs = valid(args)
    elif cmd == "match":
        tol = int(args[2]) if len(args) > 2 else 0
        errs = compare_unordered(packets(args[0]), packets(args[1]), tol,
                       f"{os.path.basename(args[0])} vs "
                       f"{os.path.basename(args[1])}")
    elif cmd in ("union", "suffix"):
        ref = packets(args[0])
        got = [p for f in args[1:] for p in packets(f)]
        if cmd == "suffix":
            ref = ref[len(ref) - len(got):] if got else []
        errs = compare(ref, got, 2000000, f"{cmd} of {len(args) - 1} files")
    elif cmd == "period":
        errs = period(int(args[0]), args[1:])
    elif cmd == "count":
        print(len(packets(args[0])))
    elif cmd == "udp":
        udp(args[0], int(args[1]), int(args[2]), float(args[3]),
            *(int(a) for a in args[4:5]))
    for e in errs:
        print("FAILED:", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
