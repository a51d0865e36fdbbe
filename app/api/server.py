"""`python -m app serve`: the app under waitress, the port open while models load.

Start-up order: lock STATE_DIR (one process per folder), bind the port and serve (health says 503
`loading`), then build the models and the default gallery in the main thread, then mark the app
ready and start the buses (outbox senders, DHT requests); they are stopped after the HTTP server on
SIGTERM. A busy STATE_DIR or port, or a model that cannot be loaded (e.g. VGG-Face without its
weights), ends the process with status 2 and a one-line reason on stderr.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from waitress import create_server

from app.api import create_app
from app.api.runtime import runtime_of
from app.config import Settings
from app.errors import AppError
from app.services import Services, Stores
from app.store.lock import lock_state_dir

log = logging.getLogger("app.serve")

BODY_OVERHEAD = 64 * 1024  # multipart framing and the `path` part, on top of MAX_CONTENT_LENGTH
SPARE_THREADS = 2  # HTTP threads beyond workers + queue (+ event streams), so /health answers


def serve(settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's messages name camera URLs
    lock_state_dir(settings.state_dir)  # before create_app clears the uploads of a killed process
    stores = Stores.open(settings)
    app = create_app(settings, stores=stores)
    try:
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
        )
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
    except AppError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    for skipped in gallery.report.skipped:
        log.warning("default gallery: skipped a photo of %s: %s", skipped.resident, skipped.reason)
    runtime_of(app).ready(services)
    log.info("ready: %d resident photo(s) in the default gallery", len(gallery.index.names))
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


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
