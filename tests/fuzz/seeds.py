#!/usr/bin/env python3
"""seeds.py SHARED OUTDIR - seed corpora for the fuzz harnesses.

reader/: every capture of the shared corpus, whole.  decode/: each
distinct frame of the classic pcaps, prefixed by the harness's link type
selector byte (its index in fuzz_decode.c's table).
"""
import hashlib
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


def main():
    shared, out = sys.argv[1], sys.argv[2]
    for sub in ("reader", "decode"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
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


if __name__ == "__main__":
    main()
