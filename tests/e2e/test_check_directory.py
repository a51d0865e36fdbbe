"""POST /check_directory as its two callers send it: analytics_api (`path` as a file part) and
the seed's curl line (`-F path=/app/database`)."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from bench.synth_video import Appearance, write_video
from tests.conftest import FACES

# The seed's sample IDs (README of the SIFIS original).
REQUESTOR_ID = "33466553786f48cb72faad7b2fb9d0952c97"
REQUEST_ID = "2023061906001633466553786f48cb72faad7b2fb9d0952c97"
ALICE = FACES / "img5.jpg"  # person01, not one of her gallery photos
STRANGER = FACES / "img29.jpg"


def url(server, file_name: str, privacy: int = 17, request_id: str = REQUEST_ID) -> str:
    return f"{server.url}/check_directory/{file_name}/{privacy}/{REQUESTOR_ID}/NSSD/{request_id}"


def value_of(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    message = response.json()["RequestPostTopicUUID"]
    assert message["topic_name"] == "SIFIS:Privacy_Aware_Face_Recognition_Results"
    assert message["topic_uuid"] == "Face_Recognition_Results"
    return message["value"]


@pytest.fixture(scope="module")
def alice_video(tmp_path_factory):
    """Two seconds of 640x360 video with Alice walking through."""
    path = tmp_path_factory.mktemp("video") / "visit.mp4"
    return write_video(path, [Appearance(ALICE, 0, 50, 230, (60, 60), (300, 80))], frames=50)


def test_analytics_api_shape_both_parts_are_files(server):
    with open(ALICE, "rb") as photo:
        response = requests.post(
            url(server, "img5.jpg"), files={"file": photo, "path": "/app/database"}, timeout=120
        )
    value = value_of(response)
    assert value["Type"] == "Image_file"
    assert (value["requestor_id"], value["requestor_type"], value["request_id"]) == (
        REQUESTOR_ID,
        "NSSD",
        REQUEST_ID,
    )
    assert value["file_name"] == "img5.jpg"
    assert value["Privacy_Parameter"] == 17
    assert [r["name"] for r in value["residents"]] == ["Alice"]
    assert value["Labels"] == {"0": "Alice"}
    assert value["count_frames"] == value["analysed_frames"] == 1
    assert server.leftovers() == []


def test_seed_curl_shape_with_a_video(server, alice_video):
    with open(alice_video, "rb") as video:
        response = requests.post(
            url(server, "sample.mp4"),
            data={"path": "/app/database"},
            files={"file": ("sample.mp4", video, "video/mp4")},
            timeout=300,
        )
    value = value_of(response)
    assert value["Type"] == "Video_file"
    assert value["file_name"] == "sample.mp4"
    assert value["count_frames"] == 50 and value["analysed_frames"] == 10  # 5 of 25 fps
    (alice,) = value["residents"]
    assert alice["name"] == "Alice" and alice["frames"] >= 2
    assert 0 <= alice["first_seen_s"] <= alice["last_seen_s"] <= 2.0
    assert set(value["Labels"].values()) == {"Alice"}
    assert server.leftovers() == []


@pytest.mark.parametrize("path", ["database", "", None])
def test_other_names_of_the_default_gallery(server, path):
    data = {} if path is None else {"path": path}
    with open(ALICE, "rb") as photo:
        response = requests.post(
            url(server, "a.jpg"), data=data, files={"file": photo}, timeout=120
        )
    assert [r["name"] for r in value_of(response)["residents"]] == ["Alice"]


def test_a_named_gallery_under_galleries_dir(server):
    with open(STRANGER, "rb") as photo:
        response = requests.post(
            url(server, "b.jpg", privacy=0), data={"path": "family"}, files={"file": photo}
        )
    value = value_of(response)
    assert value["residents"] == [] and value["unknown_faces"] == 1
    assert value["Privacy_Parameter"] == 0


def test_audit_rows_name_who_and_what_but_no_path(server, alice_video):
    with open(ALICE, "rb") as photo:
        requests.post(
            url(server, "c.jpg", request_id="audit-me"),
            data={"path": "family"},
            files={"file": photo},
            timeout=120,
        ).raise_for_status()
    with sqlite3.connect(server.state_dir / "state.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM audit")]
    (mine,) = [r for r in rows if r["request_id"] == "audit-me"]
    assert mine["route"] == "check_directory"
    assert (mine["requestor_id"], mine["requestor_type"]) == (REQUESTOR_ID, "NSSD")
    assert (mine["kind"], mine["privacy_parameter"], mine["gallery"]) == (
        "Image_file",
        17,
        "family",
    )
    assert (mine["outcome"], mine["status"], mine["residents"]) == ("ok", 200, "Alice")
    assert mine["duration_ms"] >= 0
    text = repr(rows)
    assert str(server.state_dir.parent) not in text
    assert ".jpg" not in text and ".mp4" not in text and "/" not in text
