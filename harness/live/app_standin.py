"""A stand-in for the seed's application: exposes `clip_jobs_queued_total`,
`clip_job_latency_seconds` (histogram, label `status`), `clip_jobs_inflight` and
`redis_queue_length{queue="clips"}`, with values the test controls over HTTP:

    POST /control {"queue": 30, "latency_seconds": 2.5, "error_ratio": 0.1, "jobs_per_second": 4}

Run as `python -m harness.live.app_standin PORT`.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class StandIn:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.queued = Counter("clip_jobs_queued", "Jobs queued.", registry=self.registry)
        self.latency = Histogram("clip_job_latency_seconds", "Job latency.", ["status"], buckets=BUCKETS,
                                 registry=self.registry)
        self.inflight = Gauge("clip_jobs_inflight", "Jobs in flight.", registry=self.registry)
        self.queue_length = Gauge("redis_queue_length", "Queue length.", ["queue"], registry=self.registry)
        self.control = {"queue": 1.0, "latency_seconds": 1.0, "error_ratio": 0.0, "jobs_per_second": 4.0}
        self.random = random.Random(7)
        # As in a real application, the `error` series appears with the first failed job: the
        # error panels are marked as showing data only during that fault.
        self.lock = threading.Lock()

    def tick(self, seconds: float) -> None:
        with self.lock:
            control = dict(self.control)
        jobs = max(1, round(control["jobs_per_second"] * seconds))
        for _ in range(jobs):
            self.queued.inc()
            status = "error" if self.random.random() < control["error_ratio"] else "success"
            self.latency.labels(status=status).observe(control["latency_seconds"] * self.random.uniform(0.9, 1.1))
        self.inflight.set(min(jobs, 8))
        self.queue_length.labels(queue="clips").set(control["queue"])

    def run(self, every: float = 0.5) -> None:
        while True:
            self.tick(every)
            time.sleep(every)


def serve(port: int) -> None:
    app = StandIn()
    app.tick(0.5)
    threading.Thread(target=app.run, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = generate_latest(app.registry)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            changes = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with app.lock:
                unknown = set(changes) - set(app.control)
                if unknown:
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(f"unknown controls {sorted(unknown)}".encode())
                    return
                app.control.update({k: float(v) for k, v in changes.items()})
            app.tick(0)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
