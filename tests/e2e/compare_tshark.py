#!/usr/bin/env python3
"""compare_tshark.py TRACEWARP FILE - checks `tracewarp info` against tshark.

For a file tshark reads: same packets, in order, with the same wire and
captured lengths and the same timestamps to the nanosecond; and the
--json totals (packets, bytes) agree.  For a file tshark refuses:
tracewarp must refuse it too, with exit status 1 and a message naming the
file and a byte offset.  Exits 0 when they agree, 1 with the differences.
"""
import json
import subprocess
import sys


def tshark_frames(path):
    """Returns the packet rows (time, len, caplen) or None if refused."""
    p = subprocess.run(
        ["tshark", "-r", path, "-T", "fields", "-e", "frame.encap_type",
         "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len"],
        capture_output=True, text=True)
    rows = [l.split("\t") for l in p.stdout.splitlines()]
    if p.returncode != 0 and not rows:
        return None
    # Non-packet records (custom blocks...) are frames without an encap.
    return [(epoch_ns(r[1]), int(r[2]), int(r[3])) for r in rows if r[0]]


def epoch_ns(text):
    """tshark prints sec.frac with the raw fraction: a fraction of 10
    digits (an invalid nanosecond field >= 1e9) carries into the seconds,
    as tracewarp normalizes it; a leading '-' comes from tshark printing
    the invalid field as signed, and is not part of the value."""
    if not text:
        return None
    sec, frac = text.lstrip("-").split(".")
    return int(sec) * 10**9 + int(frac.ljust(9, "0")[: max(9, len(frac))])


def tracewarp_packets(tw, path):
    p = subprocess.run([tw, "info", "--packets", path], capture_output=True,
                       text=True)
    rows = []
    for line in p.stdout.splitlines():
        f = line.split("\t")
        ts = None if f[1] == "-" else epoch_ns(f[1])
        rows.append((ts, int(f[4]), int(f[3])))
    return p.returncode, rows, p.stderr


def main():
    tw, path = sys.argv[1], sys.argv[2]
    want = tshark_frames(path)
    rc, got, err = tracewarp_packets(tw, path)
    if want is None:
        if rc != 1 or path not in err or "offset" not in err:
            sys.exit(f"{path}: tshark refuses it; tracewarp said "
                     f"(status {rc}): {err.strip()}")
        print(f"{path}: refused by both: {err.strip()}")
        return
    if rc != 0:
        sys.exit(f"{path}: tshark reads it; tracewarp failed ({rc}): {err}")
    if len(got) != len(want):
        sys.exit(f"{path}: {len(got)} packets, tshark {len(want)}")
    for i, (g, w) in enumerate(zip(got, want), 1):
        if g != w:
            sys.exit(f"{path}: packet {i}: tracewarp {g}, tshark {w}")
    summary = json.loads(subprocess.run(
        [tw, "info", "--json", path], capture_output=True,
        text=True).stdout)[0]
    totals = (summary["packets"], summary["bytes_wire"],
              summary["bytes_captured"])
    expect = (len(want), sum(w[1] for w in want), sum(w[2] for w in want))
    if totals != expect:
        sys.exit(f"{path}: --json totals {totals}, tshark {expect}")
    print(f"{path}: {len(want)} packets agree")


if __name__ == "__main__":
    main()
