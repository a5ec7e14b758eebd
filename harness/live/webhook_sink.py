"""A local Alertmanager webhook receiver that keeps every notification it gets, for the
tests to read (alerts, labels, annotations, arrival time)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Notification:
    path: str
    received: float
    body: dict[str, Any]

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return self.body.get("alerts", [])


@dataclass
class WebhookSink:
    port: int
    notifications: list[Notification] = field(default_factory=list)

    def start(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                sink.notifications.append(Notification(self.path, time.monotonic(), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def find(self, alertname: str, status: str = "firing", path: str | None = None) -> list[dict[str, Any]]:
        """Alerts named `alertname` in notifications of `status` (firing/resolved) so far."""
        return [alert for n in list(self.notifications) if path is None or n.path == path
                for alert in n.alerts if alert["labels"].get("alertname") == alertname and alert["status"] == status]
