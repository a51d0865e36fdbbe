"""Queue figures (docs/scale.md): `serve` with QUEUE_URL, a real redis-server and real
`python -m app worker` processes, all on this machine over loopback.

    python -m bench.scale [--videos 4] [--video-seconds 10] [--requests 20] [--runs 3] [--pin]

- video analyses per minute with 1 and with 2 worker processes: --videos concurrent requests of a
  --video-seconds 640x360 clip (bench/synth_video.throughput_scene), median of --runs, and the
  cores the workers and the front kept busy meanwhile (and analyses per worker core-minute, which
  other jobs on the machine do not skew); the 1- and 2-worker runs alternate (two workers up,
  the second consuming only in the 2-worker runs), so that each pair sees the same neighbours,
  and the median of the pairs' ratios is given too; once with OpenCV's default threads, once with
  ANALYSIS_THREADS=1 per worker, side by side in one run; with --pin, worker i is pinned to core
  i (`taskset -a -cp i`, every thread of it), so one worker gets one core and two get two;
- queueing overhead per image request: sequential requests alternating between the in-process
  service and the queue front with one worker (both up at once, so both see the same load), the
  median of the pairs' differences.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from app.queue.broker import celery_app
from bench.http_latency import FACES, FPS, IMAGE, post
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
    parser.add_argument("--pin", action="store_true", help="worker i on core i only (taskset)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        frames = int(args.video_seconds * FPS)
        video = write_video(
            work / "clip.mp4", throughput_scene(FACES, args.video_seconds, FPS), frames, FPS
        )
        load_start = os.getloadavg()[0]
        redis_server = RedisServer(work / "redis").start()
        front = start_server(
            work / "front", QUEUE_URL=redis_server.url, MAX_CONTENT_LENGTH=BODY, ANALYSIS_QUEUE="8"
        )
        try:
            local = start_server(work / "local", MAX_CONTENT_LENGTH=BODY)
            try:
                with _workers(work / "lat", redis_server.url, front, 1, {}, args.pin):
                    images = _paired_latency(local, front, args.requests)
            finally:
                stop_server(local)
            video_rates, pairs = {}, {}
            for threads in ("default", "1"):
                env = {} if threads == "default" else {"ANALYSIS_THREADS": threads}
                folder = work / f"t{threads}"
                with _workers(folder, redis_server.url, front, 2, env, args.pin) as ws:
                    runs = _alternating(front, video, args.videos, args.runs, ws, redis_server.url)
                for n in (1, 2):
                    video_rates[f"{n}_worker_threads_{threads}"] = _summary(runs[n])
                pairs[threads] = round(
                    statistics.median(b[0] / a[0] for a, b in zip(runs[1], runs[2], strict=True)), 2
                )
        finally:
            stop_server(front)
            redis_server.stop()
    one, two = (video_rates[f"{n}_worker_threads_default"]["per_min"] for n in (1, 2))
    one_t, two_t = (video_rates[f"{n}_worker_threads_1"]["per_min"] for n in (1, 2))
    figures = {
        "cpus": os.cpu_count(),
        "pinned": args.pin,
        "load_average_1min": {"start": load_start, "end": os.getloadavg()[0]},
        "image_ms": images,
        "video": video_rates,
        "speedup_2_vs_1": round(two / one, 2),
        "speedup_2_vs_1_with_1_thread_each": round(two_t / one_t, 2),
        "best_2_vs_best_1": round(max(two, two_t) / max(one, one_t), 2),
        "paired_speedup_median": pairs,
    }
    print(
        f"{args.video_seconds} s video, {args.videos} concurrent, median of {args.runs}: "
        f"{one} analyses/min with 1 worker, {two} with 2 ({figures['speedup_2_vs_1']}x); "
        f"ANALYSIS_THREADS=1: {one_t} and {two_t} "
        f"({figures['speedup_2_vs_1_with_1_thread_each']}x); load average at start {load_start}"
    )
    print(f"median of the runs' paired 2/1 ratios: {pairs['default']}x, one thread {pairs['1']}x")
    print(
        f"image p50 over {args.requests} paired requests: in-process {images['in_process_p50']} "
        f"ms, queue {images['queue_p50']} ms (overhead p50 {images['overhead_p50']} ms)"
    )
    print(json.dumps(figures))


def _paired_latency(local: Server, front: Server, count: int) -> dict[str, float]:
    """Sequential image requests, each to the in-process service and then through the queue, so
    that both see the same machine load; the overhead is the median of the pairs' differences."""
    for n in range(2):  # warm-up
        post(local, IMAGE, n)
        post(front, IMAGE, n)
    pairs = [(post(local, IMAGE, n) * 1000, post(front, IMAGE, n) * 1000) for n in range(count)]
    return {
        "in_process_p50": round(statistics.median(a for a, _ in pairs), 1),
        "queue_p50": round(statistics.median(b for _, b in pairs), 1),
        "overhead_p50": round(statistics.median(b - a for a, b in pairs), 1),
    }


@contextmanager
def _workers(
    base: Path, url: str, front: Server, n: int, env: dict[str, str], pin: bool
) -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    try:
        for i in range(n):
            started.append(start_worker(base / str(i), url, front.database_dir, **env))
            if pin:  # every thread it has; threads it starts later inherit the affinity
                core = str(i % (os.cpu_count() or 1))
                subprocess.run(
                    ["taskset", "-a", "-cp", core, str(started[-1].pid)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
        yield started
    finally:
        for w in started:
            stop_worker(w)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _alternating(
    front: Server,
    video: Path,
    videos: int,
    runs: int,
    workers: list[subprocess.Popen],
    url: str,
) -> dict[int, list[tuple[float, float, float, float]]]:
    """`runs` runs with the first worker alone (the second stops consuming: Celery's
    cancel_consumer) and as many with both, alternately, so that each pair of runs sees the
    same neighbours on the machine. Per run: analyses per minute, the cores the workers and the
    front kept busy (CPU seconds per second), the load average before it."""
    control = celery_app(url).control
    second = [f"worker-{workers[1].pid}@{socket.gethostname()}"]
    found: dict[int, list[tuple[float, float, float, float]]] = {1: [], 2: []}
    for run in range(runs):
        for n in (1, 2):
            switch = control.cancel_consumer if n == 1 else control.add_consumer
            assert switch("celery", destination=second, reply=True, timeout=10), "no reply"
            first = (2 * run + n - 1) * videos
            found[n].append(_one_run(front, video, range(first, first + videos), workers[:n]))
    return found


def _one_run(
    front: Server, video: Path, ids: range, workers: list[subprocess.Popen]
) -> tuple[float, float, float, float]:
    load = os.getloadavg()[0]
    cpu, front_cpu = sum(_cpu_s(w.pid) for w in workers), _cpu_s(front.process.pid)
    start = time.perf_counter()
    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(partial(post, front, video), ids))
    wall = time.perf_counter() - start
    return (
        len(ids) * 60 / wall,
        (sum(_cpu_s(w.pid) for w in workers) - cpu) / wall,
        (_cpu_s(front.process.pid) - front_cpu) / wall,
        load,
    )


def _summary(runs: list[tuple[float, float, float, float]]) -> dict[str, float]:
    """Medians of the runs: analyses per minute, the cores the workers and the front kept busy,
    and analyses per worker core-minute (what the analyses cost, whatever share of the machine
    the workers got); the load averages before the runs."""
    rates, cores, front_cores, loads = zip(*runs, strict=True)
    return {
        "per_min": round(statistics.median(rates), 1),
        "worker_cores_busy": round(statistics.median(cores), 2),
        "per_worker_core_min": round(
            statistics.median(r / c for r, c in zip(rates, cores, strict=True)), 1
        ),
        "front_cores_busy": round(statistics.median(front_cores), 2),
        "load_average_1min_before_min": round(min(loads), 2),
        "load_average_1min_before_max": round(max(loads), 2),
    }


if __name__ == "__main__":
    main()
