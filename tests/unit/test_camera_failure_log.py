"""A camera that stays down is logged once, then at growing intervals with a count, not at every
reconnect (a user saw a warning every 6-9 s, for as long as the camera was off)."""

from __future__ import annotations

import logging
import threading

from app.cameras import watcher
from app.cameras.failure_log import FIRST_REMINDER_S, MAX_REMINDER_S, FailureLog
from app.errors import CameraUnavailable
from tests.bus.wait import until

DOWN = CameraUnavailable("the camera refused the connection")


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_camera_down_for_a_day_is_logged_at_growing_intervals_with_a_count(caplog):
    now = [0.0]
    failures = FailureLog("porch", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="app.cameras"):
        for _ in range(24 * 3600 // 8):  # a reconnect every 8 s
            failures.failed(DOWN)
            now[0] += 8
    logged = warnings(caplog)
    assert logged[0] == "camera porch: the camera refused the connection [camera_unavailable]"
    assert "still failing, 9 attempts so far" in logged[1]  # the first reminder after 60 s
    assert len(logged) < 2 + 6 + 24  # doubling from 60 s to an hour, then hourly
    assert all("still failing" in m for m in logged[1:])
    last_gaps = [int(m.split(", ")[1].split()[0]) for m in logged[-3:]]
    assert last_gaps[2] - last_gaps[1] == last_gaps[1] - last_gaps[0] == MAX_REMINDER_S // 8


def test_reconnecting_says_how_many_attempts_failed_and_starts_over(caplog):
    now = [0.0]
    failures = FailureLog("porch", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="app.cameras"):
        for _ in range(3):
            failures.failed(DOWN)
        failures.connected()
        now[0] += FIRST_REMINDER_S / 2
        failures.failed(DOWN)  # down again: logged at once
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "camera porch: the camera refused the connection [camera_unavailable]",
        "camera porch: connected after 3 failed attempt(s)",
        "camera porch: the camera refused the connection [camera_unavailable]",
    ]


def test_a_watcher_of_a_refusing_camera_warns_once_not_at_every_reconnect(monkeypatch, caplog):
    monkeypatch.setattr(watcher, "RECONNECT_FIRST_S", 0.001)
    monkeypatch.setattr(watcher, "RECONNECT_MAX_S", 0.001)
    attempts = []

    def refuse(stop: threading.Event):
        attempts.append(1)
        raise DOWN

    watching = watcher.Watcher("porch", 0, refuse, None, lambda: None, None, None)
    with caplog.at_level(logging.INFO, logger="app.cameras"):
        watching.start()
        until(lambda: len(attempts) >= 30, "30 reconnects")
        watching.stop()
    assert warnings(caplog) == [
        "camera porch: the camera refused the connection [camera_unavailable]"
    ]
    assert watching.status.last_error == "the camera refused the connection"
