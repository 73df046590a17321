#!/usr/bin/python3
"""demo_summary.py OUT: one line per stage of `make demo`, from the JSON
summaries the stages wrote into OUT, and where the files are."""
import glob
import json
import os
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def us(ns):
    return f"{ns / 1000:.0f} us" if ns < 10**6 else f"{ns / 1e6:.1f} ms"


def capture_line():
    c = load("capture.json")
    if c:
        r = c["redaction"]
        return ("capture", f"{c['packets']} packets, {c['kernel_drops']} "
                f"dropped, {r['tcp_flows']} connections redacted in "
                f"process ({r['h2_flows']} HTTP/2, {r['h1_flows']} "
                f"HTTP/1.1), {r['exchanges']} exchanges",
                "capture.pcapng, exchanges.jsonl")
    reds = [load(os.path.basename(p))
            for p in sorted(glob.glob(os.path.join(out, "redact-*.json")))]
    if not reds:
        return None
    return ("redact", f"{sum(r['packets'] for r in reds)} packets of "
            f"{len(reds)} bundled captures, "
            f"{sum(r['bytes_changed'] for r in reds)} bytes changed",
            "*.pcapng, redacted.pcapng, exchanges.jsonl")


def info_line():
    i = load("info.json")
    if not i:
        return None
    i = i[0] if isinstance(i, list) else i
    return ("info", f"{i['packets']} packets, {i['flows']} flows, "
            f"{i['bytes_wire']} bytes", "info.json")


def leak_line():
    path = os.path.join(out, "leaks.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        last = f.read().strip().splitlines()[-1:]
    return ("leak-check", last[0] if last else "?", "leaks.txt")


def replay_line():
    r = load("replay.json")
    if not r:
        return None
    sink = ""
    if os.path.exists(os.path.join(out, "sink.count")):
        with open(os.path.join(out, "sink.count")) as f:
            sink = f"; {f.read().strip()} arrived in the sink namespace"
    return ("replay", f"{r['packets_sent']} frames on {r['output']} "
            f"({r['amplified_copies']} amplified copies) in "
            f"{r['elapsed_s']:.2f} s, {r['pps']:.0f} pps, lateness p99 "
            f"{us(r['lateness']['p99_ns'])}{sink}",
            "replay.json, " + ("sink.pcap" if sink else "sent.pcap"))


def l7_lines():
    for path in sorted(glob.glob(os.path.join(out, "l7-*.json"))):
        name = os.path.basename(path)[3:-5]
        d = load(os.path.basename(path))
        lat = d["latency"]
        yield (f"l7 {name}", f"{d['completed']} of {d['scheduled']} "
               f"requests completed against {d['target']}, latency p50 "
               f"{us(lat['p50_ns'])} p99 {us(lat['p99_ns'])}, "
               f"{d['status_mismatch']} statuses differ from the trace",
               f"l7-{name}.json, l7-{name}.html")


rows = [capture_line(), info_line(), leak_line(), replay_line()]
rows += list(l7_lines())
print("== summary (files in %s)" % out)
for row in rows:
    if row:
        print(f"  {row[0]:<11} {row[1]}\n  {'':<11} -> {row[2]}")
