#!/usr/bin/env python3
"""mkmany.py IN OUT MBYTES - a large classic pcap with many addresses.

Like mkbig.py (IN repeated until OUT holds about MBYTES megabytes, time
moving forward), but every run of 16 packets gets its own pair of
addresses, so that a redactor meets tens of thousands of hosts and its
caches are exercised, not just its fast path.  IN must be little-endian
classic pcap over Ethernet.  Checksums stay valid without recomputing
them: the low 16 bits of the source address go up by k and those of the
destination down by k, which leaves every one's complement sum (IPv4
header, TCP/UDP pseudo-header) unchanged.
"""
import struct
import sys


def shift(word, k):
    """word + k in one's complement 16-bit arithmetic."""
    s = word + k
    return (s & 0xFFFF) + (s >> 16)


def vary(frame, k):
    if len(frame) < 14:
        return frame
    et = struct.unpack_from(">H", frame, 12)[0]
    if et == 0x0800 and len(frame) >= 34:
        src, dst = 26 + 2, 30 + 2
    elif et == 0x86DD and len(frame) >= 54:
        src, dst = 22 + 14, 38 + 14
    else:
        return frame
    b = bytearray(frame)
    s = struct.unpack_from(">H", b, src)[0]
    d = struct.unpack_from(">H", b, dst)[0]
    struct.pack_into(">H", b, src, shift(s, k))
    struct.pack_into(">H", b, dst, shift(d, 0xFFFF - k))
    return bytes(b)


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
        recs.append((sec * frac + sub, data[off + 8:off + 16],
                     data[off + 16:off + 16 + cap]))
        off += 16 + cap
    span = recs[-1][0] - recs[0][0] + frac // 1000
    n = 0
    with open(dst, "wb") as out:
        out.write(data[:24])
        written, rep = 24, 0
        while written < mbytes * 10**6:
            for t, lens, frame in recs:
                t += rep * span
                k = 1 + (n // 16) % 65000
                out.write(struct.pack("<II", t // frac, t % frac) + lens +
                          vary(frame, k))
                written += 16 + len(frame)
                n += 1
            rep += 1


if __name__ == "__main__":
    main()
