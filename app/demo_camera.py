"""`python -m app demo-camera`: a loopback MJPEG camera looping README's "try it" scene (Alice,
then Bob, a stranger throughout; app/scene.py), to try watched cameras without a real one.

The photos are other photos of the sample residents than the enrolled ones (tests/data/faces of a
checkout), so what the service recognises is real recognition. Frames are rendered once, encoded
as JPEG and sent at `fps` to every client as multipart/x-mixed-replace, each client from the
scene's start.
"""

from __future__ import annotations

import itertools
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

from app.errors import InvalidParameter
from app.scene import SAMPLE_SECONDS, Scene, sample_scene

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"
PATH = "/demo.mjpg"
FPS = 10.0
BOUNDARY = b"frame"


def scene_parts(faces: Path, fps: float = FPS) -> list[bytes]:
    """The scene's frames, each a complete multipart part (headers and JPEG)."""
    if not (faces / "img4.jpg").is_file():
        raise InvalidParameter(
            f"the demo camera shows photos of {faces}, which is missing: run it from a checkout "
            "of the project (or give --faces)"
        )
    scene = Scene(sample_scene(faces, fps))
    parts = []
    for i in range(int(SAMPLE_SECONDS * fps)):
        ok, jpeg = cv2.imencode(".jpg", scene.frame(i), [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:  # pragma: no cover - OpenCV encodes any 8-bit BGR image
            raise ValueError("JPEG encoding failed")
        data = jpeg.tobytes()
        head = f"Content-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        parts.append(b"--" + BOUNDARY + b"\r\n" + head + data + b"\r\n")
    return parts


class DemoCamera:
    """The looping scene served on 127.0.0.1:`port` (0: any free port) at `url`. Raises OSError
    when the port is taken."""

    def __init__(self, parts: list[bytes], port: int = 0, fps: float = FPS) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != PATH:
                    self.send_error(404, f"the demo camera is at {PATH}")
                    return
                self.send_response(200)
                self.send_header(
                    "Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}"
                )
                self.end_headers()
                start = time.monotonic()
                for sent in itertools.count():  # until the client leaves; paced by the clock
                    time.sleep(max(0.0, start + sent / fps - time.monotonic()))
                    try:
                        self.wfile.write(parts[sent % len(parts)])
                    except OSError:
                        return

            def log_message(self, format: str, *args: object) -> None:
                pass  # a camera logs nothing per request

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{PATH}"

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()
