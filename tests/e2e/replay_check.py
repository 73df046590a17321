#!/usr/bin/env python3
"""replay_check.py - the independent judge of `tracewarp replay -w` runs.

Reads traces through tshark only, computes the schedule the replay must
follow from the input's timestamps (exact integers, written from the
design, not from the C code), and compares.

  replay_check.py schedule IN OUT MODE LOOPS   MODE: x<speedup>, pps<N>,
                                                mbps<N>, top
  replay_check.py bytes IN OUT LOOPS            frames equal, in order
  replay_check.py cksum FILE                    no bad IP/TCP/UDP checksum
  replay_check.py flows FILE                    prints TCP+UDP flow count
"""
import subprocess
import sys
from fractions import Fraction

NS = 10**9


def tshark(path, *args):
    out = subprocess.run(["tshark", "-n", "-r", path] + list(args),
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines()]


def epoch_ns(s):
    sec, _, frac = s.partition(".")
    return int(sec) * NS + int((frac + "0" * 9)[:9])


def stamps_and_lengths(path):
    rows = tshark(path, "-T", "fields", "-e", "frame.time_epoch",
                  "-e", "frame.cap_len", "-e", "frame.interface_id")
    rows = [r.split("\t") for r in rows]
    pcapng = any(iface for _, _, iface in rows)
    out, prev = [], 0
    for ts, length, iface in rows:
        if pcapng and not iface:
            continue  # not a packet: a block Wireshark shows as a frame
        # A packet without a timestamp goes right after the one before.
        prev = epoch_ns(ts) if ts else prev
        out.append((prev, int(length)))
    return out


def expected(pkts, mode, loops):
    """Offsets (ns) for every packet of every loop."""
    out = []
    if mode.startswith("x"):
        speed = Fraction(mode[1:])
        base = 0
        for _ in range(loops):
            hw = None
            pos = 0
            for ts, _ in pkts:
                if hw is None:
                    hw = ts
                elif ts >= hw:
                    pos += ts - hw
                    hw = ts
                out.append((base + pos) * speed.denominator
                           // speed.numerator)
            gap = pos // (len(pkts) - 1) if len(pkts) > 1 else 0
            base += pos + gap
    elif mode.startswith("pps"):
        rate = Fraction(mode[3:])
        for k in range(len(pkts) * loops):
            out.append(k * NS * rate.denominator // rate.numerator)
    elif mode.startswith("mbps"):
        bps = int(Fraction(mode[4:]) * 10**6)
        bits = 0
        for _ in range(loops):
            for _, length in pkts:
                out.append(bits * NS // bps)
                bits += 8 * length
    else:
        out = [0] * (len(pkts) * loops)
    return out


def check_schedule(inp, outp, mode, loops):
    src = stamps_and_lengths(inp)
    got = [ts for ts, _ in stamps_and_lengths(outp)]
    want = [src[0][0] + off for off in expected(src, mode, int(loops))]
    if len(got) != len(want):
        sys.exit(f"{mode}: {len(got)} packets written, {len(want)} due")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            sys.exit(f"{mode}: packet {i}: {g} ns, schedule says {w}")
    print(f"{mode} x{loops}: {len(got)} timestamps exact")


def frames(path):
    """Frame bytes in order, through tcpdump's hex dump."""
    out = subprocess.run(["tcpdump", "-nn", "-t", "-xx", "-r", path],
                         check=True, capture_output=True,
                         text=True).stdout
    pkts, cur = [], []
    for line in out.splitlines():
        if line.startswith("\t0x"):
            cur.append(line.split(":", 1)[1].replace(" ", ""))
        else:
            if cur:
                pkts.append("".join(cur))
            cur = []
    if cur:
        pkts.append("".join(cur))
    return pkts


def check_bytes(inp, outp, loops):
    a, b = frames(inp) * int(loops), frames(outp)
    if a != b:
        sys.exit(f"frames differ ({len(a)} in, {len(b)} out)")
    print(f"{len(b)} frames byte for byte")


def check_cksum(path):
    bad = tshark(path, "-o", "ip.check_checksum:TRUE",
                 "-o", "tcp.check_checksum:TRUE",
                 "-o", "udp.check_checksum:TRUE",
                 "-Y", "ip.checksum.status == 0 || tcp.checksum.status == 0"
                 " || udp.checksum.status == 0")
    if bad:
        sys.exit(f"{path}: {len(bad)} bad checksums, first: {bad[0]}")
    print(f"{path}: checksums valid")


def count_flows(path):
    rows = tshark(path, "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
                  "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport",
                  "-e", "tcp.dstport", "-e", "udp.srcport",
                  "-e", "udp.dstport")
    flows = set()
    for r in rows:
        f = r.split("\t")
        a = (f[0] or f[2], f[4] or f[6])
        b = (f[1] or f[3], f[5] or f[7])
        flows.add(tuple(sorted([a, b])))
    print(len(flows))


def main():
    cmd = sys.argv[1]
    if cmd == "schedule":
        check_schedule(*sys.argv[2:6])
    elif cmd == "bytes":
        check_bytes(*sys.argv[2:5])
    elif cmd == "cksum":
        check_cksum(sys.argv[2])
    elif cmd == "flows":
        count_flows(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
