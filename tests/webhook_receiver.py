"""A tiny HTTP server standing in for a subscriber: it answers Graph's validation handshake
(correctly, or wrongly when told to) and records every notification it receives, with its
headers (Google's notifications are headers only)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.handshakes: list[str] = []
        self.echo_wrong = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                token = parse_qs(urlsplit(self.path).query).get("validationToken")
                if token:
                    receiver.handshakes.append(self.path.split("?")[0])
                    answer = ("wrong " if receiver.echo_wrong else "") + token[0]
                    self._answer(200, answer.encode(), "text/plain")
                    return
                receiver.received.append(
                    {
                        "path": self.path,
                        "body": json.loads(body) if body else None,  # Google's come empty
                        "headers": dict(self.headers),
                    }
                )
                self._answer(202, b"", "text/plain")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
