#!/usr/bin/env bash
# The shared leak oracle finds none of the generated corpus's secrets in
# its redacted gRPC, TLS (decrypted with its key log) and HTTP/1.1 over
# IPv6 captures.  h2c-rest has a test of its own, being large.
exec bash tests/e2e/redact_leaks.sh grpc h2-tls rest-h1-ipv6
