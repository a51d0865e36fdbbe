"""Always-on watching on this machine: `python -m bench.watch [--idle-s 30] [--rounds 5]`.

Four loopback MJPEG cameras (640x360, 15 fps) watched together by the real server, with the real
Mosquitto. Prints: the server's CPU (% of one core) and RSS with nothing moving; then, `rounds`
times, every camera switches from an empty scene to Alice's face and the delay from the switch to
her `recognized` event on MQTT is measured (median, p95, max), with frames dropped and fps per
camera from `GET /cameras`, and the RSS after each round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import requests

from tests.bus.broker import Mosquitto, Subscriber
from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.server import start_server, stop_server

WIDTH, HEIGHT, FPS, CAMERAS = 640, 360, 15, 4


def scene(face: bool) -> bytes:
    """A still room (a gradient with a 'door'), with or without Alice's face in it."""
    canvas = np.tile(np.linspace(40, 200, WIDTH, dtype=np.uint8), (HEIGHT, 1))
    canvas = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(canvas, (420, 60), (560, 340), (30, 60, 90), -1)
    if face:
        photo = cv2.imread(str(FACES / "img5.jpg"))
        scale = (HEIGHT - 40) / photo.shape[0]
        photo = cv2.resize(photo, None, fx=scale, fy=scale)
        h, w = photo.shape[:2]
        canvas[20 : 20 + h, 100 : 100 + min(w, WIDTH - 100)] = photo[:, : WIDTH - 100]
    return cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


class SwitchableCamera:
    """An MJPEG camera whose picture can be switched while it streams."""

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while True:
                        data = camera.jpeg
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                            + str(len(data)).encode()
                            + b"\r\n\r\n"
                            + data
                            + b"\r\n"
                        )
                        time.sleep(1 / FPS)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/live.mjpg"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    empty, alice = scene(False), scene(True)
    base = Path("bench/out/watch").resolve()
    broker = Mosquitto(base / "mqtt").start()
    cams = [SwitchableCamera(empty) for _ in range(CAMERAS)]
    config = {f"cam{i}": {"url": c.url, "watch": True, "privacy_parameter": 9} for i, c in
              enumerate(cams)}  # fmt: skip
    server = start_server(
        base, MQTT_URL=broker.url, CAMERAS=json.dumps(config), PRESENCE_TIMEOUT_S="3"
    )
    sub = Subscriber(broker.port, ["face_recognition/events"])
    pid = server.process.pid
    try:
        until(
            lambda: all(
                c["status"]["state"] == "connected"
                for c in requests.get(f"{server.url}/cameras", timeout=10).json()["cameras"]
            ),
            "cameras connected",
            60,
        )
        time.sleep(5)  # settle
        before, start = cpu_s(pid), time.monotonic()
        time.sleep(args.idle_s)
        idle = 100 * (cpu_s(pid) - before) / (time.monotonic() - start)
        print(f"nothing moving, {CAMERAS} cameras {WIDTH}x{HEIGHT} {FPS} fps, {args.idle_s:.0f} s: "
              f"CPU {idle:.1f} % of one core, RSS {rss_mb(pid):.0f} MB")  # fmt: skip
        delays: list[float] = []
        for r in range(args.rounds):
            seen = len(sub.messages)
            switched = time.time()
            for c in cams:
                c.jpeg = alice
            got: dict[str, float] = {}
            deadline = time.monotonic() + 30
            while len(got) < CAMERAS and time.monotonic() < deadline:
                for m in sub.messages[seen:]:
                    e = json.loads(m.payload)
                    if e["type"] == "recognized" and e["resident"] == "Alice":
                        got.setdefault(e["camera"], time.time() - switched)
                time.sleep(0.01)
            delays += got.values()
            cameras = requests.get(f"{server.url}/cameras", timeout=10).json()["cameras"]
            status = [(c["status"]["fps_in"], c["status"]["frames_dropped"]) for c in cameras]
            print(f"round {r + 1}: {len(got)}/{CAMERAS} cameras recognised Alice, delays "
                  f"{sorted(round(d, 2) for d in got.values())} s; (fps_in, dropped) {status}; "
                  f"RSS {rss_mb(pid):.0f} MB")  # fmt: skip
            for c in cams:
                c.jpeg = empty
            time.sleep(6)  # her tracks end; presence times out
        delays.sort()
        p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
        median = statistics.median(delays)
        print(
            f"resident appears -> MQTT recognized: n={len(delays)} median {median:.2f} s, "
            f"p95 {p95:.2f} s, max {delays[-1]:.2f} s"
        )
    finally:
        sub.close()
        stop_server(server)
        broker.stop()


if __name__ == "__main__":
    main()
