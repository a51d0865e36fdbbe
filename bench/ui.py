"""Server render time of each web UI page, over loopback against the real server process.

    python -m bench.ui [--requests 20]

Starts `python -m app serve` with API_KEY and a watched loopback MJPEG camera (so the Dashboard
and Cameras pages have a camera with a live status), logs in like a browser (session cookie),
then asks for each page `--requests` times in turn after one warm-up round; also for one
resident photo thumbnail and the camera's blurred snapshot (UI_SNAPSHOTS on here). Time to first
byte (request sent -> status line and headers read, on loopback) is the server's render time plus
a loopback round trip; the table shows its median, p95 and the size. Target: median <= 300 ms.
Console errors are asserted by tests/browser/, not here.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "tests" / "data" / "faces" / "img5.jpg"
KEY = "bench-ui-key-0123456"
PAGES = ["/ui/", "/ui/residents", "/ui/analyse", "/ui/cameras", "/ui/events", "/ui/review"]
TARGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, MjpegCamera(PHOTO, fps=10) as camera:
        cameras = {
            "hall": {"url": f"{camera.url}/live.mjpg", "privacy_parameter": 9, "watch": True}
        }
        server = start_server(
            Path(tmp) / "server",
            API_KEY=KEY,
            CAMERAS=json.dumps(cameras),
            CAMERA_HOSTS='["127.0.0.1"]',
            UI_SNAPSHOTS="true",
        )
        try:
            cookie = _log_in(server)
            pages = [*PAGES, _thumbnail(server), _snapshot(server, cookie)]
            for page in pages:  # warm-up: templates compiled, caches filled
                _first_byte(server, page, cookie)
            times: dict[str, list[float]] = {p: [] for p in pages}
            sizes: dict[str, int] = {}
            for _ in range(args.requests):
                for page in pages:
                    elapsed, size = _first_byte(server, page, cookie)
                    times[page].append(elapsed * 1000)
                    sizes[page] = size
        finally:
            stop_server(server)
    _print(times, sizes, args.requests)


def _log_in(server: Server) -> str:
    answer = requests.post(
        f"{server.url}/ui/login", data={"api_key": KEY}, allow_redirects=False, timeout=10
    )
    answer.raise_for_status()
    return f"pafr_session={answer.cookies['pafr_session']}"


def _thumbnail(server: Server) -> str:
    alice = requests.get(f"{server.url}/residents/Alice", headers={"X-API-Key": KEY}, timeout=30)
    return f"/ui/residents/Alice/photos/{alice.json()['images'][0]}.jpg"


def _snapshot(server: Server, cookie: str) -> str:
    """The hall camera's snapshot, once its watcher has analysed a frame."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = requests.get(
            f"{server.url}/ui/cameras/hall/snapshot.jpg", headers={"Cookie": cookie}, timeout=10
        )
        if answer.status_code == 200:
            return "/ui/cameras/hall/snapshot.jpg"
        time.sleep(0.5)
    raise RuntimeError("the hall camera's watcher analysed no frame in 60 s")


def _first_byte(server: Server, page: str, cookie: str) -> tuple[float, int]:
    """Seconds from sending the request to having its status line and headers; the body size."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.connect()  # not timed: the connection, as a browser's kept-alive one
        start = time.perf_counter()
        conn.request("GET", page, headers={"Cookie": cookie})
        response = conn.getresponse()
        elapsed = time.perf_counter() - start
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{page} answered {response.status}")
    return elapsed, len(body)


def _print(times: dict[str, list[float]], sizes: dict[str, int], count: int) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, load average {load}")
    print(f"time to first byte over loopback, {count} requests per page (target median <= "
          f"{TARGET_MS:g} ms)")  # fmt: skip
    print(f"{'page':<48}{'median ms':>10}{'p95 ms':>10}{'KiB':>8}  ok")
    for page, values in times.items():
        ordered = sorted(values)
        median = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        verdict = "yes" if median <= TARGET_MS else "NO"
        print(f"{page:<48}{median:>10.1f}{p95:>10.1f}{sizes[page] / 1024:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
