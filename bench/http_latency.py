"""HTTP figures of `python -m app serve`, measured over loopback against the real server process.

    python -m bench.http_latency [--requests 30] [--video-seconds 10] [--rounds 2]

- latency of POST /check_directory for a 640-px image (couple.jpg: two faces, one resident),
  sequential requests after two warm-up ones: p50 and p95;
- throughput on a short video (bench/synth_video.throughput_scene) with 1, 2 and 4 concurrent
  clients, each sending it --rounds times: requests per second and video seconds per wall second
  (ANALYSIS_WORKERS defaults to one per two cores, so more clients queue);
- time from process start to /health 200, and the server's peak RSS (VmHWM) at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.synth_video import throughput_scene, write_video
from tests.e2e.server import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT / "tests" / "data" / "faces"
IMAGE = FACES / "couple.jpg"  # 640x446
ROUTE = "/check_directory/{name}/17/bench/NSSD/{n}"
FPS = 25.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--video-seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        video = write_video(
            work / "clip.mp4",
            throughput_scene(FACES, args.video_seconds, FPS),
            int(args.video_seconds * FPS),
            FPS,
        )
        started = time.perf_counter()
        server = start_server(work / "server", MAX_CONTENT_LENGTH=str(200 * 1024 * 1024))
        ready_s = time.perf_counter() - started
        try:
            figures = {
                "ready_s": round(ready_s, 2),
                "image": latency(server, args.requests),
                "video": {
                    str(clients): _throughput(
                        server, video, clients, args.rounds, args.video_seconds
                    )
                    for clients in (1, 2, 4)
                },
                "peak_rss_mb": _peak_rss_mb(server),
            }
        finally:
            stop_server(server)
    _print(figures, args)


def post(server: Server, path: Path, n: int) -> float:
    start = time.perf_counter()
    with open(path, "rb") as fh:
        response = requests.post(
            server.url + ROUTE.format(name=path.name, n=n),
            data={"path": "database"},
            files={"file": fh},
            timeout=600,
        )
    response.raise_for_status()
    return time.perf_counter() - start


def latency(server: Server, count: int) -> dict:
    for n in range(2):
        post(server, IMAGE, n)
    times = sorted(post(server, IMAGE, n) * 1000 for n in range(count))
    return {
        "requests": count,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(count - 1, round(0.95 * (count - 1)))], 1),
    }


def _throughput(server: Server, video: Path, clients: int, rounds: int, seconds: int) -> dict:
    total = clients * rounds
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda n: post(server, video, n), range(total)))
    wall = time.perf_counter() - start
    return {
        "requests": total,
        "requests_per_s": round(total / wall, 3),
        "video_s_per_wall_s": round(total * seconds / wall, 2),
    }


def _peak_rss_mb(server: Server) -> float:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc (not Linux?)")


def _print(figures: dict, args: argparse.Namespace) -> None:
    image = figures["image"]
    print(f"ready after start: {figures['ready_s']} s")
    print(
        f"/check_directory, 640-px image, {image['requests']} sequential requests: "
        f"p50 {image['p50_ms']} ms, p95 {image['p95_ms']} ms"
    )
    print(f"/check_directory, {args.video_seconds} s 640x360 video, {args.rounds} per client:")
    for clients, row in figures["video"].items():
        print(
            f"  {clients} client(s): {row['requests_per_s']} requests/s, "
            f"{row['video_s_per_wall_s']} video s per wall s"
        )
    print(f"server peak RSS: {figures['peak_rss_mb']} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
