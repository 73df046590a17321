#!/usr/bin/python3
"""ratios.py SECTION.md...: the one table of `make bench`.

Each SECTION.md is the markdown a stage's benchmark printed (its file
name, without .md, names the stage).  From every table in it, the first
column whose header compares two things ("its time / tracewarp's",
"tracewarp / tcpdump", "vs h2load", "ratio"...) gives one row per
measured line: stage, what was measured, which ratio, its value.  Lines
without a value ("-", empty) are left out; a section without any ratio
(a stage skipped or failed) gets one row with its last line.  Prints the
table as markdown.
"""
import os
import re
import sys


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_ratio(header):
    h = header.lower()
    return " / " in h or h.startswith("vs ") or "ratio" in h


def tables(lines):
    """Yields (header cells, row cells...) of each markdown table."""
    i = 0
    while i < len(lines):
        if (lines[i].startswith("|") and i + 1 < len(lines)
                and re.match(r"^\|[-| :]+\|\s*$", lines[i + 1])):
            head, rows, i = cells(lines[i]), [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            yield head, rows
        else:
            i += 1


def rows_of(path):
    stage = os.path.basename(path)[:-3]
    with open(path) as f:
        lines = f.read().splitlines()
    for head, rows in tables(lines):
        col = next((k for k, h in enumerate(head) if k and is_ratio(h)),
                   None)
        if col is None:
            continue
        for r in rows:
            if col < len(r) and r[col] not in ("", "-"):
                yield stage, r[0], head[col], r[col]


print("| stage | measured | ratio | value |")
print("|---|---|---|---|")
for p in sys.argv[1:]:
    n = 0
    for stage, what, ratio, value in rows_of(p):
        print(f"| {stage} | {what} | {ratio} | {value} |")
        n += 1
    if not n:  # skipped or failed: its last words say why
        with open(p) as f:
            last = [x for x in f.read().splitlines() if x.strip()][-1:]
        why = last[0].replace("|", "/") if last else "no output"
        print(f"| {os.path.basename(p)[:-3]} | no ratio: {why} | | |")
