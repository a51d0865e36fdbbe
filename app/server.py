"""`python -m app serve`: the app under waitress, the port open while models load.

Start-up order: lock STATE_DIR (one process per folder), bind the port and serve (health says 503
`loading`), then build the models and the default gallery in the main thread, then mark the app
ready and start the buses (outbox senders, DHT requests); they are stopped after the HTTP server on
SIGTERM. Anything that stops start-up (a busy STATE_DIR or port, an unwritable STATE_DIR, an
unreadable DATABASE_DIR, a model that cannot be loaded, e.g. VGG-Face without its weights) ends the
process with status 2 and a one-line reason on stderr, never a traceback.

Connections: waitress holds at most HTTP_CONNECTION_LIMIT of them; one idle for
HTTP_CHANNEL_TIMEOUT_S, or still sending its request HTTP_READ_TIMEOUT_S after its first byte, is
closed (app/api/connections.py), so slow clients cannot starve `/health` and normal requests.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import threading
from types import FrameType

from flask import Flask
from waitress import create_server
from waitress.server import BaseWSGIServer

from app.api.auth import expected_key, sessions_of
from app.api.connections import guarded_channel
from app.api.runtime import runtime_of
from app.config import Settings
from app.errors import AppError
from app.log_redaction import configure_logging
from app.services import Services, Stores
from app.store.lock import lock_state_dir
from app.web import create_app

log = logging.getLogger("app.serve")

BODY_OVERHEAD = 64 * 1024  # multipart framing and the `path` part, on top of MAX_CONTENT_LENGTH
SPARE_THREADS = 2  # HTTP threads beyond workers + queue (+ event streams), so /health answers


def serve(settings: Settings) -> int:
    configure_logging()
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's messages name camera URLs
    try:
        lock_state_dir(settings.state_dir)  # before create_app clears the uploads of a killed one
        stores = Stores.open(settings)
        app = create_app(settings, stores=stores)
    except (AppError, OSError, sqlite3.Error) as exc:
        return _cannot_start(exc)
    try:
        server = _http_server(app, settings)
    except OSError as exc:
        print(
            f"error [port_unavailable]: cannot listen on {settings.host}:{settings.port}: "
            f"{exc.strerror or exc} (set PORT or HOST)",
            file=sys.stderr,
        )
        return 2
    http = threading.Thread(target=server.run, name="http", daemon=True)
    http.start()
    log.info("listening on %s:%d; loading models", settings.host, settings.port)
    signal.signal(signal.SIGTERM, _exit)
    try:
        services = Services.build(settings, stores)
        gallery = services.recognition.gallery(settings.residents_dir)
    except (AppError, OSError, sqlite3.Error) as exc:
        return _cannot_start(exc)
    runtime_of(app).ready(services)
    log.info("ready: %d resident photo(s) in the default gallery", len(gallery.index.names))
    print(f"ready: web UI at {ui_address(settings.host, settings.port)}", flush=True)
    services.start_bus()
    services.start_watching()
    try:
        http.join()
    except KeyboardInterrupt:
        pass
    finally:
        services.stop_watching()  # ends the event streams, so the server can close
        server.close()
        services.stop_bus()
    return 0


def ui_address(host: str, port: int) -> str:
    """Where a browser on this machine finds the web UI (a wildcard HOST listens on loopback
    too)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/ui/"


def _http_server(app: Flask, settings: Settings) -> BaseWSGIServer:
    server = create_server(
        app,
        host=settings.host,
        port=settings.port,
        threads=settings.workers
        + settings.analysis_queue
        + SPARE_THREADS
        + settings.event_stream_clients,
        max_request_body_size=settings.max_content_length + BODY_OVERHEAD,
        clear_untrusted_proxy_headers=True,
        connection_limit=settings.http_connection_limit,
        channel_timeout=settings.http_channel_timeout_s,
        cleanup_interval=max(1, int(settings.http_channel_timeout_s // 4)),
        channel_request_lookahead=1,  # lets event streams see their client leave (events.py)
    )
    server.channel_class = guarded_channel(
        expected_key(settings.api_key), settings.http_read_timeout_s, sessions_of(app)
    )
    return server


def _cannot_start(exc: Exception) -> int:
    """One line on stderr and status 2, as for any start-up failure; never a traceback."""
    if isinstance(exc, AppError):
        reason = f"[{exc.code}]: {exc.message}"
    elif isinstance(exc, OSError):
        reason = f"[startup]: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    else:
        reason = f"[startup]: {exc}"
    print(f"error {reason}", file=sys.stderr)
    return 2


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
