"""Queue figures (docs/scale.md): `serve` with QUEUE_URL, a real redis-server and real
`python -m app worker` processes, all on this machine over loopback.

    python -m bench.scale [--videos 4] [--video-seconds 10] [--requests 20] [--runs 3]

- video analyses per minute with 1 and with 2 worker processes: --videos concurrent requests of a
  --video-seconds 640x360 clip (bench/synth_video.throughput_scene), median of --runs;
- queueing overhead per image request: p50 of sequential requests (bench/http_latency.latency) to
  the queue front with one worker, minus the p50 of the in-process service on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from bench.http_latency import FACES, FPS, latency, post
from bench.synth_video import throughput_scene, write_video
from tests.e2e.server import Server, start_server, stop_server
from tests.queue.cluster import RedisServer, start_worker, stop_worker

BODY = str(200 * 1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--video-seconds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        frames = int(args.video_seconds * FPS)
        video = write_video(
            work / "clip.mp4", throughput_scene(FACES, args.video_seconds, FPS), frames, FPS
        )
        local = start_server(work / "local", MAX_CONTENT_LENGTH=BODY)
        try:
            in_process = latency(local, args.requests)
        finally:
            stop_server(local)
        redis_server = RedisServer(work / "redis").start()
        front = start_server(
            work / "front", QUEUE_URL=redis_server.url, MAX_CONTENT_LENGTH=BODY, ANALYSIS_QUEUE="8"
        )
        workers = []
        try:
            workers.append(start_worker(work / "w1", redis_server.url, front.database_dir))
            queued = latency(front, args.requests)
            one = _per_minute(front, video, args.videos, args.runs)
            workers.append(start_worker(work / "w2", redis_server.url, front.database_dir))
            two = _per_minute(front, video, args.videos, args.runs)
        finally:
            for w in workers:
                stop_worker(w)
            stop_server(front)
            redis_server.stop()
    figures = {
        "cpus": os.cpu_count(),
        "image_p50_ms": {"in_process": in_process["p50_ms"], "queue": queued["p50_ms"]},
        "queue_overhead_p50_ms": round(queued["p50_ms"] - in_process["p50_ms"], 1),
        "video_analyses_per_min": {"1_worker": one, "2_workers": two},
        "speedup_2_vs_1": round(two / one, 2),
    }
    print(
        f"{args.video_seconds} s video, {args.videos} concurrent, median of {args.runs}: "
        f"{one} analyses/min with 1 worker, {two} with 2 ({figures['speedup_2_vs_1']}x)"
    )
    print(
        f"image p50 over {args.requests} requests: in-process {in_process['p50_ms']} ms, queue "
        f"{queued['p50_ms']} ms (overhead {figures['queue_overhead_p50_ms']} ms)"
    )
    print(json.dumps(figures))


def _per_minute(front: Server, video: Path, videos: int, runs: int) -> float:
    rates = []
    for run in range(runs):
        start = time.perf_counter()
        with ThreadPoolExecutor(videos) as pool:
            list(pool.map(partial(post, front, video), range(run * videos, (run + 1) * videos)))
        rates.append(videos * 60 / (time.perf_counter() - start))
    return round(statistics.median(rates), 1)


if __name__ == "__main__":
    main()
