"""Requests arriving over the DHT, through the real `python -m app serve` process (real models,
loopback DHT node): a crash in the middle of one, and a camera request, answered exactly once."""

from __future__ import annotations

import sqlite3

from app.sifis import CAM_REQUEST_TOPIC, FRAME_RESULTS_TOPIC, REQUEST_TOPIC
from bench.synth_video import Appearance, write_video
from tests.bus.test_serve import ALICE, result_for
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server

IDS = {"requestor_id": "a1", "requestor_type": "NSSD"}
FRAMES = 250  # 10 s of video, 50 frames analysed: long enough to be killed in the middle


def progress_for(request_id: str):
    return lambda p: (
        p["topic_name"] == FRAME_RESULTS_TOPIC and p["value"]["request_id"] == request_id
    )


def kill(server: Server) -> None:
    server.process.kill()  # SIGKILL: no shutdown code runs
    server.process.wait()


def results(dht, request_id: str) -> list[dict]:
    return [p["value"] for p in dht.posts if result_for(request_id)(p)]


def stored(server: Server, sql: str) -> list[tuple]:
    with sqlite3.connect(server.state_dir / "state.sqlite3") as db:
        return db.execute(sql).fetchall()


def video_request(tmp_path, request_id: str) -> tuple[dict, dict[str, str]]:
    media = tmp_path / "media"
    media.mkdir()
    write_video(
        media / "long.mp4", [Appearance(ALICE, 0, FRAMES, 230, (60, 60), (300, 80))], FRAMES
    )
    request = {**IDS, "request_id": request_id, "file_name": "long.mp4", "privacy_parameter": 0}
    env = {"DHT_SUBSCRIBE": "true", "MEDIA_DIR": str(media), "BUS_PROGRESS_INTERVAL_S": "0.2"}
    return request, env


def start_mid_analysis(base, dht, request: dict, env: dict[str, str], inject: bool) -> Server:
    """A server working on `request` (injected now, or resumed from its store)."""
    server = start_server(base, DHT_URL=dht.url, **env)
    dht.wait_clients(1)
    before = len(dht.posts)
    if inject:
        dht.inject(REQUEST_TOPIC, "Face_Recognition", request)
    dht.wait_post(lambda p: p in dht.posts[before:] and progress_for(request["request_id"])(p))
    return server


def test_a_request_interrupted_by_a_crash_is_resumed_and_answered_once(tmp_path, dht):
    request, env = video_request(tmp_path, "crash-1")
    base = tmp_path / "svc"
    server = start_mid_analysis(base, dht, request, env, inject=True)
    kill(server)
    assert results(dht, "crash-1") == []
    server = start_server(base, DHT_URL=dht.url, **env)
    try:
        result = dht.wait_post(result_for("crash-1"), timeout=120)["value"]
        dht.inject(REQUEST_TOPIC, "Face_Recognition", request)  # the DHT re-delivers it
        dht.inject(REQUEST_TOPIC, "Face_Recognition", {**request, "request_id": "after-1"})
        dht.wait_post(result_for("after-1"), timeout=120)  # handled after the re-delivery
    finally:
        stop_server(server)
    assert [r["name"] for r in result["residents"]] == ["Alice"]
    assert (result["file_name"], result["request_id"], result["requestor_id"]) == (
        "long.mp4",
        "crash-1",
        "a1",
    )
    assert results(dht, "crash-1") == [result]
    assert stored(server, "SELECT state, value FROM bus_requests") == [("answered", None)] * 2
    audit = "SELECT outcome FROM audit WHERE request_id = 'crash-1'"
    assert stored(server, audit) == [("ok",)]


def test_a_request_interrupted_by_two_crashes_is_answered_with_an_error(tmp_path, dht):
    request, env = video_request(tmp_path, "crash-2")
    base = tmp_path / "svc"
    kill(start_mid_analysis(base, dht, request, env, inject=True))
    kill(start_mid_analysis(base, dht, request, env, inject=False))  # resumed, then killed again
    server = start_server(base, DHT_URL=dht.url, **env)
    try:
        answer = dht.wait_post(result_for("crash-2"), timeout=60)["value"]
    finally:
        stop_server(server)
    assert answer["error"]["code"] == "analysis_interrupted"
    assert (answer["file_name"], answer["request_id"], answer["requestor_id"]) == (
        "long.mp4",
        "crash-2",
        "a1",
    )
    assert "residents" not in answer
    assert results(dht, "crash-2") == [answer]


def test_a_camera_request_over_the_dht_is_answered_with_its_ids(tmp_path, dht):
    with MjpegCamera(ALICE) as camera:
        server = start_server(
            tmp_path / "svc",
            DHT_URL=dht.url,
            DHT_SUBSCRIBE="true",
            CAMERA_HOSTS='["127.0.0.1"]',
            CAMERA_SECONDS="20",
        )
        request = {
            **IDS,
            "request_id": "cam-1",
            "cam_link": f"{camera.url}/live.mjpg",
            "privacy_parameter": 9,
            "database_path": "/app/database",
        }
        refused = {**request, "request_id": "cam-2", "cam_link": "http://192.0.2.1/live.mjpg"}
        try:
            dht.wait_clients(1)
            dht.inject(CAM_REQUEST_TOPIC, "Face_Recognition_CAM", request)
            dht.inject(CAM_REQUEST_TOPIC, "Face_Recognition_CAM", refused)
            result = dht.wait_post(result_for("cam-1"), timeout=60)["value"]
            error = dht.wait_post(result_for("cam-2"), timeout=60)["value"]
        finally:
            stop_server(server)
    assert (result["requestor_id"], result["requestor_type"], result["request_id"]) == (
        "a1",
        "NSSD",
        "cam-1",
    )
    assert (result["Type"], result["file_name"], result["Privacy_Parameter"]) == (
        "cam_link",
        camera.url,  # scheme://host:port, never the URL's path
        9,
    )
    assert [r["name"] for r in result["residents"]] == ["Alice"]
    assert result["analysed_frames"] >= 2
    assert (error["request_id"], error["Type"], error["error"]["code"]) == (
        "cam-2",
        "cam_link",
        "camera_host_forbidden",
    )
    assert results(dht, "cam-1") == [result]
    audit = "SELECT request_id, kind, outcome FROM audit ORDER BY id"
    assert stored(server, audit) == [
        ("cam-1", "cam_link", "ok"),
        ("cam-2", "cam_link", "camera_host_forbidden"),
    ]
