"""The simulator's HTTP interface (standard library server, one thread per connection).

    GET  /ping, /health                  200 once a model is loaded (as mlflow models serve)
    POST /invocations                    the champion, MLflow scoring protocol; logged, counted
    POST /versions/<v>/invocations       another version, same protocol (shadow scoring; not logged)
    POST /aliases/<alias>/invocations    the version an alias names now (e.g. challenger)
    GET  /metrics                        Prometheus text format
    POST /labels                         {"labels": [{"id": …, "label": …}]}: labels from outside
    GET  /admin/state                    JSON: model, drift, counts, accuracy, log
    POST /admin/drift                    {"level": 0..1}
    POST /admin/traffic                  {"rate": requests/s}
    POST /admin/flush                    write buffered log records to S3 now
    POST /admin/reload                   the deploy hook: signed (see signature.py); reloads the alias
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from ..registry import AliasNotFoundError
from ..vocabulary import CATEGORIES
from .scoring import BadRequest, parse_body
from .signature import HEADER, SignatureError

if TYPE_CHECKING:
    from .app import App

MAX_BODY_BYTES = 16 * 1024 * 1024
_VERSION_PATH = re.compile(r"^/versions/([0-9]+)/invocations$")
_ALIAS_PATH = re.compile(r"^/aliases/([A-Za-z0-9_-]+)/invocations$")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, app: App) -> None:
        self.app = app
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    # Keep-alive: a shadow replay sends thousands of requests on few connections.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits
    # for the client's delayed ACK and every answer takes ~40 ms more.
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # every request is in the request log and the metrics; stderr stays for problems

    # ----- plumbing

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value, headers: dict[str, str] | None = None) -> None:
        self._send(status, (json.dumps(value) + "\n").encode("utf-8"), "application/json", headers)

    def _error(self, status: int, code: str, message: str) -> None:
        # MLflow's error body, so clients of mlflow models serve read ours too.
        self._json(status, {"error_code": code, "message": message})

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self._error(411, "BAD_REQUEST", "send a Content-Length (chunked bodies are not supported)")
                self.close_connection = True
                return None
            return b""
        try:
            size = int(length)
        except ValueError:
            self._error(400, "BAD_REQUEST", f"bad Content-Length {length!r}")
            self.close_connection = True
            return None
        if size > MAX_BODY_BYTES:
            self._error(413, "BAD_REQUEST", f"body of {size} bytes is over the {MAX_BODY_BYTES} byte limit; send smaller batches")
            self.close_connection = True
            return None
        return self.rfile.read(size)

    def _json_body(self, raw: bytes) -> dict | None:
        try:
            value = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            self._error(400, "BAD_REQUEST", f"the body is not JSON: {error}")
            return None
        if not isinstance(value, dict):
            self._error(400, "BAD_REQUEST", "the body must be a JSON object")
            return None
        return value

    def _guard(self, action) -> None:
        try:
            action()
        except BrokenPipeError:
            pass
        except Exception as error:  # a bug here must answer 500, not hang the client
            traceback.print_exc(file=sys.stderr)
            try:
                self._error(500, "INTERNAL_ERROR", f"{type(error).__name__}: {error}")
            except OSError:
                pass

    # ----- routes

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self._guard(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._guard(self._post)

    def _get(self) -> None:
        app = self.server.app
        path = self.path.split("?", 1)[0]
        if path in ("/ping", "/health"):
            self._send(200, b"\n", "application/json")
        elif path == "/metrics":
            self._send(200, app.registry.render().encode("utf-8"), "text/plain; version=0.0.4; charset=utf-8")
        elif path == "/admin/state":
            self._json(200, app.state())
        else:
            self._error(404, "ENDPOINT_NOT_FOUND", f"no GET {path}; see GET /admin/state, /metrics, /ping")

    def _post(self) -> None:
        app = self.server.app
        path = self.path.split("?", 1)[0]
        raw = self._body()
        if raw is None:
            return
        if path == "/invocations":
            self._invocations(raw)
        elif match := _VERSION_PATH.match(path):
            self._other(raw, lambda: app.models.version(match.group(1)))
        elif match := _ALIAS_PATH.match(path):
            self._other(raw, lambda: app.models.by_alias(match.group(1)))
        elif path == "/labels":
            self._labels(raw)
        elif path == "/admin/drift":
            body = self._json_body(raw)
            if body is None:
                return
            level = body.get("level")
            if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 <= level <= 1:
                self._error(400, "BAD_REQUEST", f'send {{"level": <number from 0 to 1>}}, got {json.dumps(body)}')
                return
            previous = app.service.set_drift(float(level))
            self._json(200, {"level": float(level), "previous": previous})
        elif path == "/admin/traffic":
            body = self._json_body(raw)
            if body is None:
                return
            rate = body.get("rate")
            if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate < 0:
                self._error(400, "BAD_REQUEST", f'send {{"rate": <requests per second, 0 pauses>}}, got {json.dumps(body)}')
                return
            previous = app.traffic.rate
            app.traffic.set_rate(float(rate))
            self._json(200, {"rate": float(rate), "previous": previous})
        elif path == "/admin/flush":
            self._json(200, app.flush())
        elif path == "/admin/reload":
            self._reload(raw)
        else:
            self._error(404, "ENDPOINT_NOT_FOUND", f"no POST {path}; scoring is POST /invocations")

    def _invocations(self, raw: bytes) -> None:
        app = self.server.app
        model = app.models.champion
        try:
            frame = parse_body(raw, self.headers.get("Content-Type"), model.input_schema)
        except BadRequest as error:
            app.service.m_invalid.inc()
            self._error(400, "BAD_REQUEST", str(error))
            return
        predictions, ids, version = app.service.score(frame, source="http", request_id=self.headers.get("X-Request-Id"))
        headers = {"X-Model-Version": version}
        if len(ids) <= 1000:
            headers["X-Request-Ids"] = ",".join(ids)
        self._json(200, {"predictions": predictions}, headers)

    def _other(self, raw: bytes, load) -> None:
        app = self.server.app
        try:
            model = load()
        except AliasNotFoundError as error:
            self._error(404, "RESOURCE_DOES_NOT_EXIST", str(error))
            return
        except Exception as error:  # MLflow: no such version, or unreachable
            self._error(404, "RESOURCE_DOES_NOT_EXIST", f"cannot load that model version: {error}")
            return
        try:
            frame = parse_body(raw, self.headers.get("Content-Type"), model.input_schema)
        except BadRequest as error:
            app.service.m_invalid.inc()
            self._error(400, "BAD_REQUEST", str(error))
            return
        predictions = app.service.score_other(model, frame)
        self._json(200, {"predictions": predictions}, {"X-Model-Version": model.version})

    def _labels(self, raw: bytes) -> None:
        body = self._json_body(raw)
        if body is None:
            return
        labels = body.get("labels")
        usage = f'send {{"labels": [{{"id": "<request id>", "label": one of {list(CATEGORIES)}}}]}}'
        if not isinstance(labels, list) or not all(
            isinstance(item, dict) and isinstance(item.get("id"), str) and item.get("label") in CATEGORIES for item in labels
        ):
            self._error(400, "BAD_REQUEST", usage)
            return
        matched = sum(self.server.app.service.record_label(item["id"], item["label"]) for item in labels)
        self._json(200, {"received": len(labels), "matched": matched})

    def _reload(self, raw: bytes) -> None:
        app = self.server.app
        if not app.hook_secret:
            app.service.m_reloads.inc(outcome="rejected")
            self._error(503, "FEATURE_DISABLED", "the deploy hook is off: start the simulator with CTPILOT_DEPLOY_HOOK_SECRET set")
            return
        try:
            app.verify_hook(self.headers.get(HEADER), raw)
        except SignatureError as error:
            app.service.m_reloads.inc(outcome="rejected")
            self._error(401, "UNAUTHENTICATED", str(error))
            return
        body = self._json_body(raw)
        if body is None:
            return
        status, answer = app.reload(body)
        self._json(status, answer)
