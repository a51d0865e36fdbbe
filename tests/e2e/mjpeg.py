"""A loopback MJPEG-over-HTTP camera (multipart/x-mixed-replace), served from a thread.

Paths: `/live.mjpg` streams the photo at `fps` until the client leaves (`show` changes the photo,
as when someone walks up to a camera already watched); `/brief.mjpg` sends three
frames and then nothing (a camera that stops sending); `/silent.mjpg` accepts the connection and
never answers (a camera that hangs).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BOUNDARY = b"frame"
HANG_S = 20.0


class MjpegCamera:
    def __init__(self, photo: Path, fps: float = 10.0, port: int = 0) -> None:
        self.show(photo)
        camera = self
        stopped = self._stopped = threading.Event()  # ends the streams being served, too

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]  # a query (a camera's token) is ignored
                if path == "/silent.mjpg":
                    time.sleep(HANG_S)
                    return
                frames = {"/live.mjpg": None, "/brief.mjpg": 3}
                if path not in frames:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header(
                    "Content-Type", "multipart/x-mixed-replace; boundary=" + BOUNDARY.decode()
                )
                self.end_headers()
                limit, sent = frames[path], 0
                try:
                    while (limit is None or sent < limit) and not stopped.is_set():
                        self.wfile.write(camera._part)
                        sent += 1
                        time.sleep(1.0 / fps)
                    stopped.wait(HANG_S)
                except OSError:  # the client went away
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def show(self, photo: Path) -> None:
        """Stream `photo` from the next frame on."""
        jpeg = photo.read_bytes()
        self._part = (
            b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: " + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n"
        )

    def __enter__(self) -> MjpegCamera:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
