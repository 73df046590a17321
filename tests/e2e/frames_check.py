#!/usr/bin/env python3
"""frames_check.py - judges the frames a replay sent or wrote, through
tshark only: what `tracewarp replay --dpdk` sent into net_pcap's tx_pcap
files, and what `--shard` dry runs wrote.

  frames_check.py same IN LOOPS OUT...   OUT files together hold exactly
                                       IN's frames LOOPS times; each
                                       flow in one file, in IN's order
  frames_check.py timing IN SPEEDUP TOL_MS OUT...
                                       departures (first packet = 0)
                                       within TOL_MS of IN's offsets
                                       divided by SPEEDUP (9 in 10)
  frames_check.py shards WHOLE SHARD...  the shards' frames (with their
                                       timestamps) add up to WHOLE's,
                                       and no flow is in two shards
  frames_check.py after FILE EPOCH_NS MIN_MS MAX_MS
                                       FILE's first frame is between
                                       MIN_MS and MAX_MS after EPOCH_NS
"""
import json
import subprocess
import sys
from collections import Counter, defaultdict
from fractions import Fraction

NS = 10**9


def frames(path):
    """[(ns, raw hex)] of every frame of path, in file order."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "json", "-x",
                          "-j", "frame"], check=True, capture_output=True,
                         text=True).stdout
    rows = []
    for pkt in json.loads(out or "[]"):
        layers = pkt["_source"]["layers"]
        sec, _, frac = layers["frame"]["frame.time_epoch"].partition(".")
        ns = int(sec) * NS + int((frac + "0" * 9)[:9])
        rows.append((ns, layers["frame_raw"][0]))
    return rows


def flow(raw):
    """Direction-free flow key from the frame's bytes (IPv4/IPv6, one
    optional VLAN tag); non-IP frames share one key."""
    b = bytes.fromhex(raw)
    off, etype = 14, int.from_bytes(b[12:14], "big")
    if etype == 0x8100:
        off, etype = 18, int.from_bytes(b[16:18], "big")
    if etype == 0x0800 and len(b) >= off + 20:
        ihl = (b[off] & 15) * 4
        proto, src, dst = b[off + 9], b[off + 12:off + 16], b[off + 16:off + 20]
        l4 = off + ihl
    elif etype == 0x86DD and len(b) >= off + 40:
        proto, src, dst = b[off + 6], b[off + 8:off + 24], b[off + 24:off + 40]
        l4 = off + 40
    else:
        return "other"
    ports = (b[l4:l4 + 2], b[l4 + 2:l4 + 4]) if proto in (6, 17) else (b"", b"")
    a, z = (src, ports[0]), (dst, ports[1])
    return (proto,) + tuple(sorted([a, z]))


def same(inp, loops, outs):
    want = [raw for _, raw in frames(inp)] * loops
    got = {o: [raw for _, raw in frames(o)] for o in outs}
    allgot = [r for rows in got.values() for r in rows]
    if Counter(allgot) != Counter(want):
        sys.exit("frames differ: %d sent, %d expected (%d missing, %d extra)"
                 % (len(allgot), len(want),
                    sum((Counter(want) - Counter(allgot)).values()),
                    sum((Counter(allgot) - Counter(want)).values())))
    order = defaultdict(list)
    for raw in want:
        order[flow(raw)].append(raw)
    seen = {}
    for o, rows in got.items():
        per = defaultdict(list)
        for raw in rows:
            per[flow(raw)].append(raw)
        for key, seq in per.items():
            if key in seen and key != "other":
                sys.exit("flow %r in %s and %s" % (key, seen[key], o))
            seen[key] = o
            if key != "other" and seq != order[key]:
                sys.exit("flow %r out of order in %s" % (key, o))
    print("%d frames, %d flows, %d files" % (len(allgot), len(order),
                                              len(outs)))


def timing(inp, speedup, tol_ms, outs):
    src = frames(inp)
    sent = sorted(ns for o in outs for ns, _ in frames(o))
    if len(sent) != len(src):
        sys.exit("%d sent, %d in the trace" % (len(sent), len(src)))
    t0, s0 = src[0][0], sent[0]
    errs = sorted(float(abs((ns - s0) - Fraction(ts - t0) /
                            Fraction(speedup))) / 1e6
                  for (ts, _), ns in zip(src, sent))
    # The 90th percentile: a preempted VM may delay a few packets.
    p90 = errs[len(errs) * 9 // 10]
    print("departure error p90 %.3f ms, max %.3f ms" % (p90, errs[-1]))
    if p90 > tol_ms:
        sys.exit("departures off the schedule: p90 %.3f ms (> %s ms)"
                 % (p90, tol_ms))


def shards(whole, parts):
    want = Counter(frames(whole))
    got = Counter()
    owner = {}
    for part in parts:
        rows = frames(part)
        got.update(rows)
        for _, raw in rows:
            key = flow(raw)
            if owner.setdefault(key, part) != part:
                sys.exit("flow %r in %s and %s" % (key, owner[key], part))
    if got != want:
        sys.exit("shards differ from the whole: %d missing, %d extra"
                 % (sum((want - got).values()), sum((got - want).values())))
    print("%d frames, %d flows in %d shards" % (sum(got.values()),
                                                 len(owner), len(parts)))


def after(path, start_ns, min_ms, max_ms):
    first = frames(path)[0][0]
    late = (first - start_ns) / 1e6
    print("first frame %.3f ms after the start" % late)
    if late < min_ms or late > max_ms:
        sys.exit("first frame %.3f ms from the start (%s to %s ms)"
                 % (late, min_ms, max_ms))


def main(argv):
    if len(argv) >= 4 and argv[1] == "same":
        same(argv[2], int(argv[3]), argv[4:])
    elif len(argv) >= 5 and argv[1] == "timing":
        timing(argv[2], argv[3], float(argv[4]), argv[5:])
    elif len(argv) >= 4 and argv[1] == "shards":
        shards(argv[2], argv[3:])
    elif len(argv) == 6 and argv[1] == "after":
        after(argv[2], int(argv[3]), float(argv[4]), float(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
