#!/usr/bin/python3
"""Servers the L7 replay's end-to-end tests misbehave with.

usage: l7_servers.py MODE PORT [LOG]
  reset   speaks HTTP/2 (prior knowledge) and resets every stream
  silent  accepts connections, reads, never answers
  grpc    a grpcio server: /test.Echo/Echo echoes the request message,
          /test.Echo/Fail fails with NOT_FOUND; one LOG line per call
  anygrpc a grpcio server that takes any method, reads every request
          message and answers one empty message, status OK; one LOG
          line per call ("METHOD MESSAGES")
  spread  as anygrpc, and the LOG line also says how far apart the
          call's first and last messages arrived ("METHOD MESSAGES MS")
"""
import socket
import struct
import sys
import threading
import time

mode, port = sys.argv[1], int(sys.argv[2])
log = open(sys.argv[3], "a", buffering=1) if len(sys.argv) > 3 else None


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def reset_conn(c):
    buf = b""
    c.sendall(frame(4, 0, 0))  # SETTINGS
    while True:
        d = c.recv(65536)
        if not d:
            return
        buf += d
        if buf.startswith(b"PRI * HTTP/2.0"):
            buf = buf[24:]
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags = buf[3], buf[4]
            stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:
                c.sendall(frame(4, 1, 0))  # SETTINGS ACK
            elif ftype == 1:  # HEADERS: RST_STREAM, INTERNAL_ERROR
                c.sendall(frame(3, 0, stream, struct.pack(">I", 2)))


def tcp_server(handler):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


def silent_conn(c):
    while c.recv(65536):
        pass


def grpc_server():
    from concurrent import futures
    import grpc

    def echo(req, ctx):
        if log:
            log.write(f"Echo {len(req)}\n")
        return req

    def failing(req, ctx):
        if log:
            log.write("Fail\n")
        ctx.abort(grpc.StatusCode.NOT_FOUND, "no such thing")

    def any_method(method):
        def handle(reqs, ctx):
            seen = [time.monotonic() for _ in reqs]
            line = f"{method} {len(seen)}"
            if mode == "spread" and seen:
                line += f" {(seen[-1] - seen[0]) * 1000:.0f}"
            if log:
                log.write(line + "\n")
            yield b""
        return grpc.stream_stream_rpc_method_handler(handle)

    class Handler(grpc.GenericRpcHandler):
        def service(self, details):
            if mode in ("anygrpc", "spread"):
                return any_method(details.method)
            if details.method == "/test.Echo/Echo":
                return grpc.unary_unary_rpc_method_handler(echo)
            if details.method == "/test.Echo/Fail":
                return grpc.unary_unary_rpc_method_handler(failing)
            return None

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((Handler(),))
    server.add_insecure_port(f"0.0.0.0:{port}")
    server.start()
    server.wait_for_termination()


if mode == "reset":
    tcp_server(reset_conn)
elif mode == "silent":
    tcp_server(silent_conn)
elif mode in ("grpc", "anygrpc", "spread"):
    grpc_server()
else:
    sys.exit(f"unknown mode {mode}")
