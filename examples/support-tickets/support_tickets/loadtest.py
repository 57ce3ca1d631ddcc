"""Measures a scoring endpoint: ``python -m support_tickets.loadtest --url http://127.0.0.1:PORT``.

Sends generated tickets to ``<url>/invocations`` (MLflow scoring protocol,
``dataframe_records``) from ``--concurrency`` keep-alive connections for
``--seconds``, ``--batch`` rows per request, and prints one JSON line:
requests and rows per second, latency quantiles, errors. Works against the
simulator and against ``mlflow models serve`` alike.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlsplit

from .generator import TicketGenerator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support_tickets.loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="base URL of the server (…/invocations is appended)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1, help="rows per request")
    parser.add_argument("--drift", type=float, default=0.0)
    args = parser.parse_args(argv)

    target = urlsplit(args.url)
    path = (target.path.rstrip("/") or "") + "/invocations"
    tickets = TicketGenerator(99).tickets(2000, args.drift)
    bodies = [
        json.dumps({"dataframe_records": [{"text": t.text} for t in tickets[i : i + args.batch]]}).encode()
        for i in range(0, len(tickets) - args.batch + 1, max(args.batch, 1))
    ]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        n = offset
        while time.monotonic() < deadline:
            body = bodies[n % len(bodies)]
            n += args.concurrency
            began = time.perf_counter()
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException) as error:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                response = error
            elapsed = time.perf_counter() - began
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors.append(str(getattr(response, "status", response)))
        connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began

    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    print(
        json.dumps(
            {
                "url": args.url,
                "seconds": round(wall, 2),
                "concurrency": args.concurrency,
                "batch": args.batch,
                "requests": len(latencies),
                "requests_per_second": round(len(latencies) / wall, 1),
                "rows_per_second": round(len(latencies) * args.batch / wall, 1),
                "latency_ms": {"p50": round(quantiles[49] * 1000, 2), "p95": round(quantiles[94] * 1000, 2)},
                "errors": len(errors),
                "first_errors": errors[:3],
            }
        )
    )
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
