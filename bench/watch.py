"""Always-on watching on this machine:

    python -m bench.watch [--idle-s 30] [--rounds 5] [--crowd-s 60] [--privacy 9]

Four loopback MJPEG cameras (640x360, 15 fps) watched together by the real server (default
models and analysis rate), with the real Mosquitto. Prints:
- the server's CPU (% of one core) and RSS with nothing moving;
- `rounds` times, every camera switches from an empty scene to Alice's face, then to a stranger's:
  the delay from the switch to her `recognized` event and to the stranger's `unknown` event on
  MQTT (median, p95, max), frames dropped and fps per camera (`GET /cameras`), RSS;
- the crowd: every camera plays bench/synth_video.py's crowd scene in a loop, in real time, for
  `crowd-s` seconds: CPU and RSS, events by type, and the delay from each time a resident walks
  in (the scene's timetable) to the first `recognized` event for them on that camera after it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import requests

from bench.synth_video import CROWD_RESIDENTS, CROWD_SIZE, crowd_scene, open_video, write_video
from tests.bus.broker import Mosquitto, Subscriber
from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.server import start_server, stop_server
from tests.media import read_image

WIDTH, HEIGHT, FPS, CAMERAS = 640, 360, 15, 4
CROWD_FPS, CROWD_SECONDS = 25.0, 30
STRANGER = "img30.jpg"  # person11, never enrolled
RESIDENT_OF = {  # the crowd's residents, as tests/conftest.py's gallery names them
    f"img{n}.jpg": name for n, name in zip(CROWD_RESIDENTS, ("Alice", "Bob", "Carol"), strict=True)
}


def scene(photo: str | None) -> bytes:
    """A still room (a gradient with a 'door'), with or without the face of `photo` in it."""
    gradient = np.tile(np.linspace(40, 200, WIDTH, dtype=np.uint8), (HEIGHT, 1))
    canvas = cv2.cvtColor(gradient, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(canvas, (420, 60), (560, 340), (30, 60, 90), -1)
    if photo:
        image = read_image(FACES / photo)
        scale = (HEIGHT - 40) / image.shape[0]
        image = cv2.resize(image, None, fx=scale, fy=scale)
        h, w = image.shape[:2]
        canvas[20 : 20 + h, 100 : 100 + min(w, WIDTH - 100)] = image[:, : WIDTH - 100]
    return cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def crowd_frames(workdir: Path) -> list[bytes]:
    """The crowd scene's frames as JPEGs (its video is 25 fps)."""
    video = write_video(
        workdir / "crowd.mp4",
        crowd_scene(FACES),
        int(CROWD_SECONDS * CROWD_FPS),
        CROWD_FPS,
        CROWD_SIZE,
    )
    stream = video.open("rb")
    capture, frames = open_video(stream), []
    ok, frame = capture.read()
    while ok:
        frames.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
        ok, frame = capture.read()
    return frames


class SwitchableCamera:
    """An MJPEG camera whose picture can be switched while it streams, or that plays a loop of
    frames (`play`) in real time."""

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.loop: list[bytes] | None = None
        self.loop_started = 0.0
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while True:
                        data = camera.picture()
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

    def picture(self) -> bytes:
        if self.loop is None:
            return self.jpeg
        index = int((time.time() - self.loop_started) * CROWD_FPS) % len(self.loop)
        return self.loop[index]

    def play(self, frames: list[bytes] | None, started: float = 0.0) -> None:
        self.loop, self.loop_started = frames, started


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def delays_to(
    sub: Subscriber, seen: int, switched: float, kind: str, resident: str | None
) -> dict[str, float]:
    """Seconds from `switched` to the first `kind` event (for `resident`) of each camera."""
    got: dict[str, float] = {}
    deadline = time.monotonic() + 30
    while len(got) < CAMERAS and time.monotonic() < deadline:
        for m in sub.messages[seen:]:
            e = json.loads(m.payload)
            if e["type"] == kind and e.get("resident") == resident:
                got.setdefault(e["camera"], m.at - switched)
        time.sleep(0.01)
    return got


def summary(label: str, delays: list[float]) -> str:
    if not delays:
        return f"{label}: none"
    delays = sorted(delays)
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    return (
        f"{label}: n={len(delays)} median {statistics.median(delays):.2f} s, p95 {p95:.2f} s, "
        f"max {delays[-1]:.2f} s"
    )


def entries(started: float, until_s: float) -> dict[str, list[float]]:
    """When each resident walks into the crowd scene, in epoch seconds, while it loops."""
    times: dict[str, list[float]] = {}
    loops = int(until_s // CROWD_SECONDS) + 1
    for a in crowd_scene(FACES):
        name = RESIDENT_OF.get(a.photo.name)
        if name is None or a.start < 0:
            continue
        for loop in range(loops):
            times.setdefault(name, []).append(started + loop * CROWD_SECONDS + a.start / CROWD_FPS)
    return times


def crowd_delays(events: list[dict], started: float, until_s: float) -> list[float]:
    """For each resident's walk-in, the delay to the first `recognized` event for them on each
    camera after it (and before their next walk-in)."""
    walk_ins = entries(started, until_s)
    delays = []
    for name, times in walk_ins.items():
        times = sorted(times)
        for camera in {e["camera"] for e in events}:
            stamps = sorted(
                e["_received"]
                for e in events
                if e["camera"] == camera and e["type"] == "recognized" and e["resident"] == name
            )
            for start, end in zip(times, [*times[1:], float("inf")], strict=True):
                first = next((t for t in stamps if start <= t < end), None)
                if first is not None:
                    delays.append(first - start)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--crowd-s", type=float, default=60.0)
    parser.add_argument("--privacy", type=int, default=9)
    args = parser.parse_args()
    empty, alice, stranger = scene(None), scene("img5.jpg"), scene(STRANGER)
    base = Path("bench/out/watch").resolve()
    base.mkdir(parents=True, exist_ok=True)
    crowd = crowd_frames(base)
    broker = Mosquitto(base / "mqtt").start()
    cams = [SwitchableCamera(empty) for _ in range(CAMERAS)]
    config = {
        f"cam{i}": {"url": c.url, "watch": True, "privacy_parameter": args.privacy}
        for i, c in enumerate(cams)
    }
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
        print(f"nothing moving, {CAMERAS} cameras {WIDTH}x{HEIGHT} {FPS} fps, privacy "
              f"{args.privacy}, {args.idle_s:.0f} s: CPU {idle:.1f} % of one core, "
              f"RSS {rss_mb(pid):.0f} MB")  # fmt: skip
        named: list[float] = []
        unknown: list[float] = []
        for r in range(args.rounds):
            for picture, kind, resident, delays in (
                (alice, "recognized", "Alice", named),
                (stranger, "unknown", None, unknown),
            ):
                seen, switched = len(sub.messages), time.time()
                for c in cams:
                    c.jpeg = picture
                got = delays_to(sub, seen, switched, kind, resident)
                delays += got.values()
                cameras = requests.get(f"{server.url}/cameras", timeout=10).json()["cameras"]
                status = [(c["status"]["fps_in"], c["status"]["frames_dropped"]) for c in cameras]
                shown = sorted(round(d, 2) for d in got.values())
                print(f"round {r + 1}: {len(got)}/{CAMERAS} cameras: {kind} "
                      f"{resident or 'stranger'}, delays {shown} s; (fps_in, dropped) {status}; "
                      f"RSS {rss_mb(pid):.0f} MB")  # fmt: skip
                for c in cams:
                    c.jpeg = empty
                time.sleep(6)  # the tracks end; presence times out
        print(summary("resident appears -> MQTT recognized", named))
        print(summary("stranger appears -> MQTT unknown", unknown))
        seen, started = len(sub.messages), time.time()
        for c in cams:
            c.play(crowd, started)
        before, start = cpu_s(pid), time.monotonic()
        time.sleep(args.crowd_s)
        busy = 100 * (cpu_s(pid) - before) / (time.monotonic() - start)
        for c in cams:
            c.play(None)
        events = [{**json.loads(m.payload), "_received": m.at} for m in sub.messages[seen:]]
        kinds = Counter(e["type"] for e in events)
        print(f"crowd on {CAMERAS} cameras, {args.crowd_s:.0f} s: CPU {busy:.1f} % of one core, "
              f"RSS {rss_mb(pid):.0f} MB, events {dict(kinds)}")  # fmt: skip
        print(
            summary(
                "crowd: resident walks in -> MQTT recognized",
                crowd_delays(events, started, args.crowd_s),
            )
        )
    finally:
        sub.close()
        stop_server(server)
        broker.stop()


if __name__ == "__main__":
    main()
