#!/usr/bin/python3
"""unit_cmd.py UNIT INSTANCE STATE CREDS BINARY [VAR=VALUE...]: the
command line systemd would run for a template unit's ExecStart=, one
argument per line.

Continuation lines are joined; %i is INSTANCE, %S is STATE, %% is %;
${VAR} expands to one argument and $VAR to its whitespace-split words
(systemd.service(5), "Command lines"), from the unit's Environment=
defaults overridden by the VAR=VALUE arguments (what an EnvironmentFile
would set), with CREDENTIALS_DIRECTORY set to CREDS.  The unit's binary
path is replaced by BINARY.
"""
import re
import shlex
import sys

unit, inst, state, creds, binary = sys.argv[1:6]
env = {"CREDENTIALS_DIRECTORY": creds}
with open(unit) as f:
    text = re.sub(r"\\\n", " ", f.read())
execs = []
for line in text.splitlines():
    key, _, value = line.partition("=")
    if key == "Environment":
        k, _, v = value.partition("=")
        env[k] = v
    elif key == "ExecStart":
        execs.append(value)
for kv in sys.argv[6:]:
    k, _, v = kv.partition("=")
    env[k] = v
if len(execs) != 1:
    sys.exit("%s: %d ExecStart= lines, not 1" % (unit, len(execs)))


def specifiers(word):
    return re.sub(r"%([%iS])", lambda m: {"%": "%", "i": inst,
                                         "S": state}[m.group(1)], word)


args = []
for word in shlex.split(execs[0]):
    m = re.fullmatch(r"\$([A-Za-z_]\w*)", word)
    if m:
        args += env.get(m.group(1), "").split()
        continue
    word = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word)
    args.append(specifiers(word))
args[0] = binary
print("\n".join(args))
