"""The issue's bad-input table: each request gets its own 4xx (or 502/504 for cameras) in the
error format, the service stays up, no upload is left behind, and the status is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.conftest import FACES
from tests.e2e.server import MAX_CONTENT_LENGTH, free_port
from tests.media import HLS_PLAYLIST, many_frame_gif, many_scan_jpeg, png_header, write_video

IDS = "a1/NSSD/r1"
JPEG = (FACES / "img5.jpg").read_bytes()
PHOTO = ("photo.jpg", JPEG, "image/jpeg")
HUGE_PNG = png_header(100_000, 100_000)
CLOSED_PORT_URL = f"http://127.0.0.1:{free_port()}/x"


def cd(file_name: str = "x.mp4", privacy: str = "17", ids: str = IDS) -> str:
    return f"/check_directory/{file_name}/{privacy}/{ids}"


def cam(link: str, privacy: str = "17") -> str:
    return f"/cam_face_recognition/{link}/{privacy}/{IDS}"


def upload(blob: bytes, name: str = "x.mp4") -> list:
    return [("path", "/app/database"), ("file", (name, blob, "application/octet-stream"))]


def truncated_mp4(tmp: Path) -> list:
    data = write_video(tmp / "ok.mp4", 30).read_bytes()
    return upload(data[: len(data) // 3])


NO_DEVICE = pytest.mark.skipif(Path("/dev/video0").exists(), reason="a real camera is attached")

OPAQUE_GALLERY_NAMES = [
    "nobody",
    "notes.txt",  # a file, not a folder, under GALLERIES_DIR
    "../database",
    "%2e%2e%2fdatabase",
    "/etc",
    "/app/database/../../etc",
]

# id, method, path, form fields (or a function of a temp folder giving them), status, code
TABLE = [
    *[
        (f"privacy={p}", "POST", cd(privacy=p), upload(JPEG), 400, "invalid_privacy_parameter")
        for p in ("16", "-3", "abc", "3.5", "53")  # even, negative, not integer, above maximum
    ],
    *[  # superscript two, full-width, Arabic-Indic and mathematical bold 17, a leading space
        (f"privacy={p}", "POST", cd(privacy=p), upload(JPEG), 400, "invalid_privacy_parameter")
        for p in (
            "%C2%B2",
            "%EF%BC%91%EF%BC%97",
            "%D9%A1%D9%A7",
            "%F0%9D%9F%8F%F0%9D%9F%95",
            "%2017",
        )
    ],
    ("no-file", "POST", cd(), [("path", "database")], 400, "missing_file"),
    ("file-as-text-field", "POST", cd(), [("file", "hello")], 400, "missing_file"),
    ("two-files", "POST", cd(), [("file", PHOTO), ("file", PHOTO)], 400, "too_many_files"),
    ("file-and-another", "POST", cd(), [("file", PHOTO), ("x", PHOTO)], 400, "too_many_files"),
    ("empty-file", "POST", cd(), upload(b""), 422, "undecodable_media"),
    ("text-named-mp4", "POST", cd(), upload(b"not a video\n" * 50), 415, "unsupported_media"),
    ("hls-playlist-named-mp4", "POST", cd(), upload(HLS_PLAYLIST), 415, "unsupported_media"),
    ("truncated-mp4", "POST", cd(), truncated_mp4, 422, "undecodable_media"),
    ("absurd-resolution", "POST", cd(), upload(HUGE_PNG), 422, "media_too_large"),
    ("jpeg-2000-scans", "POST", cd(), upload(many_scan_jpeg(2_000)), 422, "media_too_large"),
    ("gif-20000-4k-frames", "POST", cd(), upload(many_frame_gif(20_000)), 422, "media_too_large"),
    *[
        (f"gallery={g}", "POST", cd(), [("path", g), ("file", PHOTO)], 404, "gallery_not_found")
        for g in OPAQUE_GALLERY_NAMES
    ],
    *[
        (
            f"gallery-file-part={g!r}",
            "POST",
            cd(),
            [("path", ("path", g)), ("file", PHOTO)],
            404,
            "gallery_not_found",
        )
        for g in (b"../family", b"\xff\xfe")
    ],
    ("file-name-dotdot", "POST", cd(file_name="%2e%2e"), upload(JPEG), 400, "invalid_parameter"),
    ("file-name-backslash", "POST", cd(file_name="..%5Cx"), upload(JPEG), 400, "invalid_parameter"),
    ("file-name-dotdot-slash", "POST", cd(file_name="%2e%2e%2fx"), upload(JPEG), 404, "not_found"),
    ("file-name-absolute", "POST", cd(file_name="%2Fetc%2Fpasswd"), upload(JPEG), 404, "not_found"),
    ("requestor-markup", "POST", cd(ids="%3Cb%3E/T/r1"), upload(JPEG), 400, "invalid_parameter"),
    (
        "over-size-limit",
        "POST",
        cd(),
        upload(bytes(MAX_CONTENT_LENGTH + 1)),
        413,
        "upload_too_large",
    ),
    ("wrong-method", "GET", cd(), None, 405, "method_not_allowed"),
    ("unknown-route", "POST", "/check_directory/x.mp4", None, 404, "not_found"),
    ("cam-file-url", "POST", cam("file:///etc/passwd"), None, 400, "invalid_cam_link"),
    (
        "cam-file-url-encoded",
        "POST",
        cam("file%3A%2F%2F%2Fetc%2Fpasswd"),
        None,
        400,
        "invalid_cam_link",
    ),
    ("cam-concat", "POST", cam("concat:a%7Cb"), None, 400, "invalid_cam_link"),
    ("cam-pipe", "POST", cam("pipe:0"), None, 400, "invalid_cam_link"),
    ("cam-no-host", "POST", cam("http:///x"), None, 400, "invalid_cam_link"),
    ("cam-unknown-name", "POST", cam("garage"), None, 404, "camera_not_found"),
    ("cam-superscript-index", "POST", cam("%C2%B2"), None, 404, "camera_not_found"),
    ("cam-host-not-allowed", "POST", cam("rtsp://10.1.2.3/s"), None, 403, "camera_host_forbidden"),
    ("cam-unreachable-host", "POST", cam(CLOSED_PORT_URL), None, 502, "camera_unavailable"),
    ("cam-seed-device-0", "POST", cam("0"), [("path", "/app/database")], 502, "camera_unavailable"),
    ("cam-privacy-even", "POST", cam("porch", "2"), None, 400, "invalid_privacy_parameter"),
    (
        "cam-duration-too-long",
        "POST",
        cam("porch"),
        [("duration", "1000")],
        400,
        "invalid_parameter",
    ),
    ("cam-duration-word", "POST", cam("porch"), [("duration", "soon")], 400, "invalid_parameter"),
    ("cam-unknown-gallery", "POST", cam("porch"), [("path", "../x")], 404, "gallery_not_found"),
]
CASES = [
    pytest.param(*row, id=row[0], marks=NO_DEVICE if row[0] == "cam-seed-device-0" else ())
    for row in TABLE
]


@pytest.fixture(scope="module")
def openapi(server) -> dict:
    return requests.get(f"{server.url}/openapi.json", timeout=30).json()


@pytest.mark.parametrize("case, method, path, fields, status, code", CASES)
def test_bad_input_is_refused_cleanly(
    server, openapi, tmp_path, case, method, path, fields, status, code
):
    if callable(fields):
        fields = fields(tmp_path)
    reply = server.raw(method, path, fields)
    assert (reply.status, reply.body["error"]["code"]) == (status, code), (case, reply.body)
    error = reply.body["error"]
    assert set(error) == {"code", "message", "request_id"} and error["message"]
    assert "Traceback" not in error["message"] and "/etc" not in error["message"]
    assert reply.headers["X-Request-Id"] == error["request_id"]
    if code not in {"not_found", "method_not_allowed"}:  # the route matched: its ID is echoed
        assert error["request_id"] == "r1"
    assert server.leftovers() == []
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    operation = _documented_operation(openapi, path, method)
    if operation is not None:
        assert str(status) in operation["responses"], f"{status} undocumented for {path}"


def _documented_operation(doc: dict, path: str, method: str) -> dict | None:
    route = path.split("/")[1]
    for template, operations in doc["paths"].items():
        if template.split("/")[1] == route:
            return operations.get(method.lower())
    return None


def test_a_body_far_over_the_limit_is_refused_before_it_is_buffered(server):
    """Waitress refuses bodies over MAX_CONTENT_LENGTH + 64 KiB itself (413, plain text)."""
    big = bytes(5 * MAX_CONTENT_LENGTH)
    response = requests.post(f"{server.url}{cd()}", files={"file": big}, timeout=60)
    assert response.status_code == 413
    assert server.leftovers() == []
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


# superscript two, full-width 1, Arabic-Indic 3, past SQLite's integers, past int()'s 4300
# digits, negative, a fraction, a leading space, a leading zero
NUMBERS = ["%C2%B2", "%EF%BC%91", "%D9%A3", "9" * 23, "9" * 5000, "-1", "1.5", "%201", "01"]
NUMBERED = [
    ("GET", "/events?since={}"),
    ("GET", "/events?limit={}"),
    ("GET", "/events/stream?since={}"),
    ("POST", "/events/{}/wrong"),
    ("POST", "/events/{}/is/Alice"),
    ("DELETE", "/residents/Alice/negatives/{}"),
    ("DELETE", "/residents/Alice/positives/{}"),
]


@pytest.mark.parametrize("method, route", NUMBERED, ids=[r for _, r in NUMBERED])
def test_numbers_of_events_and_feedback_are_plain_ascii_decimals(server, method, route):
    for number in NUMBERS:
        reply = server.raw(method, route.format(number))
        assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_parameter"), number
    stream = server.raw("GET", "/events/stream", headers={"Last-Event-ID": "²"})
    assert (stream.status, stream.body["error"]["code"]) == (400, "invalid_parameter")


SURROGATE = '{"a\\udcff": 1}'  # JSON text escaping a lone surrogate: no valid Unicode string


@pytest.mark.parametrize(
    "method, path, body, code",
    [
        (
            "POST",
            "/cameras",
            '{"name": "c1", "url": "http://127.0.0.1/\\udcff"}',
            "invalid_parameter",
        ),
        (
            "POST",
            "/cameras",
            '{"name": "c2", "url": "rtsp://u:\\udcff@127.0.0.1/s"}',
            "invalid_parameter",
        ),
        (
            "PATCH",
            "/residents/Bob?path=family",
            f'{{"metadata": {SURROGATE}}}',
            "invalid_parameter",
        ),
        ("PATCH", "/residents/Bob?path=family", '{"name": "B\\udcffob"}', "invalid_parameter"),
    ],
)
def test_json_bodies_with_lone_surrogates_are_refused(server, method, path, body, code):
    reply = requests.request(
        method,
        f"{server.url}{path}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, code), reply.text
    assert "c1" not in [
        c["name"] for c in requests.get(f"{server.url}/cameras", timeout=30).json()["cameras"]
    ]


def test_metadata_text_with_a_lone_surrogate_is_refused(server):
    reply = server.raw(
        "POST",
        "/residents?path=family",
        [
            ("name", "Zed"),
            ("metadata", SURROGATE),
            ("file", ("z.jpg", (FACES / "img38.jpg").read_bytes())),
        ],
    )
    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_metadata"), reply.body
