#!/usr/bin/env bash
# The shared leak oracle finds none of the generated corpus's secrets in
# the redacted h2c-rest capture (HTTP/2 cleartext, REST).
exec bash tests/e2e/redact_leaks.sh h2c-rest
