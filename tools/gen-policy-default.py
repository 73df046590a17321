#!/usr/bin/env python3
"""gen-policy-default.py - writes redact/policy_default.c from
config/policy-default.yaml (run from the repository root, then
clang-format -i redact/policy_default.c).  test_policy checks that the two
stay identical."""
src = open('config/policy-default.yaml').read()
out = ['/*',
       ' * policy_default.c - the bytes of config/policy-default.yaml, '
       'built in',
       ' * so that the binary is strict without any file.  test_policy '
       'checks that',
       ' * the two are identical; edit the YAML file, then run',
       ' * tools/gen-policy-default.py.',
       ' */',
       '#include "redact/policy.h"', '',
       'const char tw_policy_default_yaml[] =']
parts = src.splitlines(keepends=True)
for i, line in enumerate(parts):
    esc = line.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
    out.append('\t"%s"%s' % (esc, ';' if i == len(parts) - 1 else ''))
open('redact/policy_default.c', 'w').write('\n'.join(out) + '\n')
