#!/usr/bin/env python3
"""mkbig.py IN OUT MBYTES - a large classic pcap for benchmarks.

Repeats the packets of IN (classic pcap, either resolution) until OUT
holds about MBYTES megabytes, shifting each repetition's timestamps past
the previous one so that time keeps moving forward.
"""
import struct
import sys


def main():
    src, dst, mbytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit(f"{src}: expected a little-endian classic pcap")
    frac = 10**9 if magic == 0xA1B23C4D else 10**6
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, sub, cap, wire = struct.unpack_from("<IIII", data, off)
        recs.append((sec * frac + sub, data[off + 8:off + 16 + cap]))
        off += 16 + cap
    span = recs[-1][0] - recs[0][0] + frac // 1000
    with open(dst, "wb") as out:
        out.write(data[:24])
        written, rep = 24, 0
        while written < mbytes * 10**6:
            for t, rest in recs:
                t += rep * span
                out.write(struct.pack("<II", t // frac, t % frac) + rest)
                written += 8 + len(rest)
            rep += 1


if __name__ == "__main__":
    main()
