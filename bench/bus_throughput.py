"""Bus benchmark: messages per second through the outbox to each bus, and the delay from the end of
an analysis (the moment its result is handed to `Bus.publish`) to the message's arrival at a
subscriber. Loopback only: the tests' DHT node and a real Mosquitto broker (`apt-get install
mosquitto`).

    .venv/bin/python -m bench.bus_throughput [--messages 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict, Unpack

from app.bus import Bus, build_bus
from app.bus.events import ResultEvent
from app.config import Settings
from app.services import Stores
from app.sifis import RESULTS_DESCRIPTION, ResultValue
from tests.bus.broker import Mosquitto, Subscriber
from tests.bus.dht_server import DhtServer
from tests.bus.wait import until
from tests.e2e.server import free_port

RESULTS_MQTT_TOPIC = "face_recognition/results"


def value(request_id: str) -> ResultValue:
    return {
        "description": RESULTS_DESCRIPTION,
        "requestor_id": "bench",
        "requestor_type": "NSSD",
        "request_id": request_id,
        "analyzer_id": "bench",
        "analysis_id": request_id,
        "Type": "Video_file",
        "file_name": "clip.mp4",
        "Privacy_Parameter": 0,
        "Labels": {},
        "count_frames": 0,
        "analysed_frames": 0,
        "residents": [],
        "unknown_faces": 0,
        "unrecognisable_faces": 0,
        "model": None,
    }


class BusUrl(TypedDict, total=False):
    """The one bus a benchmark run publishes to."""

    dht_url: str
    mqtt_url: str


def make_bus(folder: Path, **bus: Unpack[BusUrl]) -> Bus:
    settings = Settings(state_dir=folder, outbox_max_messages=1_000_000, **bus)
    stores = Stores.open(settings)
    return build_bus(settings, stores.outbox, stores.slugs)


def measure(
    bus: Bus, received: Callable[[], int], messages: int, runs: int
) -> tuple[float, float, float]:
    """(messages/s for a burst of `messages`, median and max delay of single results, ms)."""
    bus.start()
    try:
        until(lambda: bus.wait_ready(0.1), "bus connected")
        start, before = time.perf_counter(), received()
        for i in range(messages):
            bus.publish(ResultEvent(value(f"burst-{i}")))
        until(lambda: received() >= before + messages, "burst delivered", timeout=300)
        rate = messages / (time.perf_counter() - start)
        delays = []
        for i in range(runs):
            before = received()
            start = time.perf_counter()
            bus.publish(ResultEvent(value(f"single-{i}")))
            _spin(received, before)
            delays.append((time.perf_counter() - start) * 1000)
    finally:
        bus.stop()
    return rate, statistics.median(delays), max(delays)


def _spin(received: Callable[[], int], before: int, timeout: float = 30.0) -> None:
    """Wait until `received()` exceeds `before`, at sub-millisecond resolution (tests' `until`
    polls every 20 ms)."""
    deadline = time.perf_counter() + timeout
    while received() <= before:
        if time.perf_counter() > deadline:
            raise TimeoutError("message not received")
        time.sleep(0.0002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dht = DhtServer(free_port()).start()
        try:
            bus = make_bus(Path(tmp) / "dht", dht_url=dht.url)
            rows.append(
                (
                    "SIFIS DHT (websocket)",
                    *measure(bus, lambda: len(dht.posts), args.messages, args.runs),
                )
            )
        finally:
            dht.stop()
        broker = Mosquitto(Path(tmp) / "mosquitto").start()
        sub = Subscriber(broker.port, [RESULTS_MQTT_TOPIC])
        try:
            bus = make_bus(Path(tmp) / "mqtt", mqtt_url=broker.url)
            rows.append(
                (
                    "MQTT (Mosquitto, QoS 1)",
                    *measure(bus, lambda: len(sub.messages), args.messages, args.runs),
                )
            )
        finally:
            sub.close()
            broker.stop()
    print(f"{args.messages} messages per burst; delay = median of {args.runs} single results\n")
    print("| bus | messages/s through the outbox | analysis end -> received, median (max) |")
    print("|---|---|---|")
    for name, rate, median, worst in rows:
        print(f"| {name} | {rate:.0f} | {median:.1f} ms ({worst:.1f} ms) |")


if __name__ == "__main__":
    main()
