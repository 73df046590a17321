#!/usr/bin/python3
"""help_docs_check.py README HELPFILE...: every option a --help text
defines is in README or in a local document README links to.

A --help text defines options on lines that start with blanks and a dash
("  -x, --speedup X  ..."): the short option leading such a line and
every --long option on it are taken.  Each must appear in the docs as a
word of its own (`-x`, `--speedup`, `-x X`...).  Prints the missing ones,
one per line as "HELPFILE: OPTION", and exits 1 if there is one.
"""
import os
import re
import sys

readme, helps = sys.argv[1], sys.argv[2:]
root = os.path.dirname(os.path.abspath(readme))


def linked_docs(path):
    """README and the local files it links to (markdown links)."""
    with open(path) as f:
        text = f.read()
    docs = [text]
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if "://" in target:
            continue
        p = os.path.normpath(os.path.join(root, target))
        if os.path.isfile(p):
            with open(p, errors="replace") as f:
                docs.append(f.read())
    return "\n".join(docs)


def options(help_text):
    opts = []
    for line in help_text.splitlines():
        if not re.match(r"^\s+-", line):
            continue
        m = re.match(r"^\s+(-[A-Za-z0-9])\b", line)
        if m:
            opts.append(m.group(1))
        opts += re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", line)
    return opts


docs = linked_docs(readme)
missing = 0
for h in helps:
    with open(h) as f:
        found = options(f.read())
    if not found:
        print(f"{h}: no options found in the --help text")
        missing += 1
    for opt in dict.fromkeys(found):
        if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", docs):
            print(f"{os.path.basename(h)}: {opt}")
            missing += 1
sys.exit(1 if missing else 0)
