"""A tiny round-robin reverse proxy on 127.0.0.1 (stdlib only), standing in for nginx in the
multi-instance check: it forwards each request to the next portal instance in turn, adds
X-Forwarded-For, and says in X-Upstream which instance answered."""

import http.client
import itertools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


class RoundRobinProxy:
    def __init__(self, upstream_ports: list[int]):
        self.upstreams = list(upstream_ports)
        self._next = itertools.cycle(self.upstreams)
        self._lock = threading.Lock()
        self.served: Counter = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                port = proxy.pick()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                forwarded = self.headers.get("X-Forwarded-For")
                client = self.client_address[0]
                headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
                upstream = http.client.HTTPConnection(HOST, port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body, headers)
                    response = upstream.getresponse()
                    data = response.read()
                except OSError:
                    data = b"Portal tidak dapat dihubungi (502)."
                    self.send_response(502)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                finally:
                    upstream.close()
                proxy.count(port)
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() not in ("server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Upstream", str(port))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _forward

            def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def pick(self) -> int:
        with self._lock:
            return next(self._next)

    def count(self, port: int) -> None:
        with self._lock:
            self.served[port] += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
