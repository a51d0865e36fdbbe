"""An event-stream client that does not read is let go once it is 256 events behind, as
documented, instead of having every event buffered for it (issue 18, item 14). The real server;
the events are written into its database, as a long-running home accumulates them."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator

import pytest
import requests

from tests.bus.wait import until
from tests.e2e.server import Server, start_server, stop_server

STORED = 5000  # about 750 KB of events: far more than socket buffers hold


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("slow"), EVENT_STREAM_CLIENTS="1")
    with sqlite3.connect(running.state_dir / "state.sqlite3") as db:
        db.executemany(
            "INSERT INTO events (type, camera, resident, time, confidence, privacy_parameter)"
            " VALUES ('recognized', 'porch', 'Alice', ?, 90, 9)",
            [(time.time(),) for _ in range(STORED)],
        )
    yield running
    stop_server(running)


def stream_status(server: Server) -> int:
    with requests.get(f"{server.url}/events/stream", stream=True, timeout=10) as reply:
        return reply.status_code


def test_a_reader_that_does_not_read_is_let_go_256_events_behind(server):
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.port))
    slow.sendall(b"GET /events/stream?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    try:
        until(lambda: stream_status(server) == 503, "the slow stream holds the only place")
        until(lambda: stream_status(server) == 200, "the slow stream is let go", 30)
        received = bytearray()
        slow.settimeout(10)
        while not received.endswith(b"0\r\n\r\n") and (data := slow.recv(65536)):
            received += data
    finally:
        slow.close()
    assert received.endswith(b"0\r\n\r\n"), "the stream was ended, not left hanging"
    assert received.count(b"\nevent: recognized\n") < STORED
