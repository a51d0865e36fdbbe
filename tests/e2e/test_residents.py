"""Residents management and the enrollment quality gate, end to end through the real server.

Each test works in its own gallery under the shared server's GALLERIES_DIR (addressed by `path`,
as /check_directory does), so the default gallery other tests rely on is never changed.
"""

from __future__ import annotations

import shutil
import sqlite3

import cv2
import numpy as np
import pytest
import requests

from tests.conftest import FACES

ALICE = ["img1.jpg", "img2.jpg"]  # person01
ALICE_PROBE = "img5.jpg"
BOB = "img17.jpg"  # person05


def new_gallery(server, name: str) -> str:
    """A gallery `name` holding Bob as a single photo (`Bob.jpg`)."""
    root = server.state_dir.parent / "galleries" / name
    root.mkdir()
    shutil.copy(FACES / BOB, root / "Bob.jpg")
    return name


def photo(name: str) -> tuple[str, bytes, str]:
    return (name, (FACES / name).read_bytes(), "image/jpeg")


def jpeg(image: np.ndarray) -> tuple[str, bytes, str]:
    return ("x.jpg", cv2.imencode(".jpg", image)[1].tobytes(), "image/jpeg")


def api(
    server, method: str, route: str, gallery: str, since: float | str | None = None, **kwargs
) -> requests.Response:
    query: dict[str, str | float] = {"path": gallery, **({} if since is None else {"since": since})}
    return requests.request(method, f"{server.url}{route}", params=query, timeout=120, **kwargs)


def identify(server, gallery: str, name: str = ALICE_PROBE) -> list[dict]:
    response = api(server, "POST", "/faces/identify/17", gallery, files={"file": photo(name)})
    assert response.status_code == 200, response.text
    return response.json()["faces"]


def cached_hashes(server) -> set[str]:
    with sqlite3.connect(server.state_dir / "state.sqlite3") as conn:
        return {sha for (sha,) in conn.execute("SELECT sha256 FROM embeddings")}


def test_enroll_identify_add_rename_delete(server):
    gallery = new_gallery(server, "life")
    assert identify(server, gallery)[0]["name"] is None

    enrolled = api(
        server,
        "POST",
        "/residents",
        gallery,
        data={"name": "Alice", "metadata": '{"role": "mum"}'},
        files={"file": photo(ALICE[0])},
    )
    assert enrolled.status_code == 201, enrolled.text
    body = enrolled.json()
    assert body["resident"]["name"] == "Alice" and body["resident"]["metadata"] == {"role": "mum"}
    assert len(body["accepted"]) == 1 and body["rejected"] == []
    [face] = identify(server, gallery)
    assert face["name"] == "Alice" and 50 <= face["confidence"] <= 100
    assert set(face["box"]) == {"x", "y", "w", "h"}

    added = api(server, "POST", "/residents/Alice/images", gallery, files={"file": photo(ALICE[1])})
    assert added.status_code == 201, added.text
    assert added.json()["resident"]["image_count"] == 2
    image_ids = added.json()["resident"]["images"]

    renamed = api(server, "PATCH", "/residents/Alice", gallery, json={"name": "Alicia"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Alicia"
    assert renamed.json()["metadata"] == {"role": "mum"}
    assert identify(server, gallery)[0]["name"] == "Alicia"
    listed = api(server, "GET", "/residents", gallery).json()["residents"]
    assert [(r["name"], r["image_count"]) for r in listed] == [("Alicia", 2), ("Bob", 1)]

    assert any(h[:16] in image_ids for h in cached_hashes(server))
    deleted = api(server, "DELETE", "/residents/Alicia", gallery)
    assert deleted.status_code == 200
    assert deleted.json() == {
        "name": "Alicia",
        "removed": {"images": 2, "metadata": True, "embeddings": 12},  # 6 views each
    }
    assert identify(server, gallery)[0]["name"] is None
    assert not any(h[:16] in image_ids for h in cached_hashes(server))
    root = server.state_dir.parent / "galleries" / gallery
    assert sorted(p.name for p in root.iterdir()) == ["Bob.jpg"]
    assert server.leftovers() == []


def test_every_quality_gate_rejection_says_why(server):
    gallery = new_gallery(server, "gate")
    blank = np.full((400, 400, 3), 128, np.uint8)
    tiny = cv2.imread(str(FACES / "img38.jpg"))
    tiny = cv2.resize(tiny, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)  # face ~58 px
    blurred = cv2.GaussianBlur(cv2.imread(str(FACES / "img39.jpg")), (15, 15), 0)
    files = [
        ("file", jpeg(blank)),
        ("file", photo("couple.jpg")),
        ("file", jpeg(tiny)),
        ("file", jpeg(blurred)),
        ("file", photo(BOB)),  # Bob's enrolled photo, re-encoded on the way in
        ("file", ("notes.txt", b"hello, not an image\n" * 10, "text/plain")),
    ]
    response = api(server, "POST", "/residents", gallery, data={"name": "Eve"}, files=files)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "enrollment_rejected"
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
        (0, "no_face"),
        (1, "several_faces"),
        (2, "face_too_small"),
        (3, "too_blurry"),
        (4, "duplicate"),
        (5, "unreadable"),
    ]
    assert "Bob" in body["rejected"][4]["message"]
    assert api(server, "GET", "/residents/Eve", gallery).status_code == 404

    mixed = [("file", photo("img38.jpg")), ("file", photo("img38.jpg"))]
    partial = api(server, "POST", "/residents", gallery, data={"name": "Eve"}, files=mixed)
    assert partial.status_code == 201
    assert [r["reason"] for r in partial.json()["rejected"]] == ["duplicate"]
    stored = [p for p in (server.state_dir.parent / "galleries" / gallery / "Eve").iterdir()]
    assert len(stored) == 1 and stored[0].suffix == ".jpg" and stored[0].name != "img38.jpg"
    assert server.leftovers() == []


def test_sync_returns_exactly_the_changes_since_a_time(server):
    gallery = new_gallery(server, "mirror")
    root = server.state_dir.parent / "galleries" / gallery

    def changes(since: float) -> tuple[float, list[tuple[str, str]]]:
        response = api(server, "GET", "/resident-changes", gallery, since=since)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["cursor"], sorted((c["name"], c["change"]) for c in body["changes"])

    start, first = changes(0)
    assert first == [("Bob", "updated")]
    assert changes(start) == (start, [])

    enrolled = api(
        server,
        "POST",
        "/residents",
        gallery,
        data={"name": "Carol"},
        files={"file": photo("img26.jpg")},
    )
    assert enrolled.status_code == 201
    patched = api(server, "PATCH", "/residents/Bob", gallery, json={"metadata": {"pet": "cat"}})
    assert patched.status_code == 200
    assert (root / "Bob" / "Bob.jpg").is_file() and not (root / "Bob.jpg").exists()
    (root / "Hand").mkdir()  # a hand edit on disk
    shutil.copy(FACES / "img40.jpg", root / "Hand" / "a.jpg")
    second, found = changes(start)
    assert found == [("Bob", "updated"), ("Carol", "updated"), ("Hand", "updated")]

    assert api(server, "DELETE", "/residents/Carol", gallery).status_code == 200
    shutil.rmtree(root / "Hand")
    third, found = changes(second)
    assert found == [("Carol", "deleted"), ("Hand", "deleted")]
    assert third > second > start
    assert changes(third) == (third, [])


@pytest.fixture(scope="module")
def bad(server) -> str:
    return new_gallery(server, "bad")


BIG = '{"x": "' + "y" * 5000 + '"}'


JSON = {"Content-Type": "application/json"}
WIDE_NAME = "\U0001d400" * 64  # MATHEMATICAL BOLD CAPITAL A, a letter of 4 bytes in UTF-8


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


# id, method, route, keyword arguments, status, code
TABLE = [
    ("name-dotdot", "POST", "/residents", {"data": {"name": "../x"}}, 400, "invalid_resident_name"),
    ("name-hidden", "POST", "/residents", {"data": {"name": ".x"}}, 400, "invalid_resident_name"),
    ("name-missing", "POST", "/residents", {"data": {}}, 400, "invalid_resident_name"),
    (
        "meta-list",
        "POST",
        "/residents",
        {"data": {"name": "Z", "metadata": "[1]"}},
        400,
        "invalid_metadata",
    ),
    (
        "meta-text",
        "POST",
        "/residents",
        {"data": {"name": "Z", "metadata": "hi"}},
        400,
        "invalid_metadata",
    ),
    (
        "meta-big",
        "POST",
        "/residents",
        {"data": {"name": "Z", "metadata": BIG}},
        413,
        "metadata_too_large",
    ),
    *[
        (
            f"meta-depth-{depth}",
            "POST",
            "/residents",
            {"data": {"name": "Z", "metadata": nested(depth)}},
            400,
            "invalid_metadata",
        )
        for depth in (17, 990, 5000)
    ],
    ("no-image", "POST", "/residents", {"data": {"name": "Z"}}, 400, "missing_file"),
    (
        "too-many",
        "POST",
        "/residents",
        {"data": {"name": "Z"}, "files": [("file", photo(BOB))] * 11},
        400,
        "too_many_files",
    ),
    (
        "exists",
        "POST",
        "/residents",
        {"data": {"name": "Bob"}, "files": {"file": photo(BOB)}},
        409,
        "resident_exists",
    ),
    (
        "url-disabled",
        "POST",
        "/residents",
        {"data": {"name": "Z", "image_url": "http://127.0.0.1/x.jpg"}},
        403,
        "image_urls_disabled",
    ),
    ("unknown", "GET", "/residents/Nobody", {}, 404, "resident_not_found"),
    ("unknown-delete", "DELETE", "/residents/Nobody", {}, 404, "resident_not_found"),
    (
        "unknown-image",
        "DELETE",
        "/residents/Bob/images/0123456789abcdef",
        {},
        404,
        "image_not_found",
    ),
    (
        "patch-name-type",
        "PATCH",
        "/residents/Bob",
        {"json": {"name": 5}},
        400,
        "invalid_resident_name",
    ),
    (
        "patch-name-dotdot",
        "PATCH",
        "/residents/Bob",
        {"json": {"name": "../x"}},
        400,
        "invalid_resident_name",
    ),
    (
        "patch-meta-type",
        "PATCH",
        "/residents/Bob",
        {"json": {"metadata": "x"}},
        400,
        "invalid_metadata",
    ),
    (
        "patch-unknown-key",
        "PATCH",
        "/residents/Bob",
        {"json": {"colour": 1}},
        400,
        "invalid_parameter",
    ),
    ("patch-not-json", "PATCH", "/residents/Bob", {"data": "name=x"}, 400, "invalid_parameter"),
    (
        "patch-meta-depth-100000",
        "PATCH",
        "/residents/Bob",
        {"data": nested(100_000), "headers": JSON},
        400,
        "invalid_parameter",
    ),
    (
        "patch-meta-depth-200",
        "PATCH",
        "/residents/Bob",
        {"data": '{"metadata": ' + nested(200) + "}", "headers": JSON},
        400,
        "invalid_metadata",
    ),
    *[  # 64 letters of 4 bytes each: 256 bytes, more than a file name may hold
        (f"name-4-byte-{method}", method, route, kwargs, 400, "invalid_resident_name")
        for method, route, kwargs in [
            ("POST", "/residents", {"data": {"name": WIDE_NAME}, "files": {"file": photo(BOB)}}),
            ("PATCH", "/residents/Bob", {"json": {"name": WIDE_NAME}}),
        ]
    ],
    ("since-word", "GET", "/resident-changes", {"since": "soon"}, 400, "invalid_parameter"),
    ("since-negative", "GET", "/resident-changes", {"since": "-1"}, 400, "invalid_parameter"),
]


@pytest.mark.parametrize(
    "case, method, route, kwargs, status, code", TABLE, ids=[r[0] for r in TABLE]
)
def test_bad_residents_input_gets_a_specific_4xx(
    server, bad, case, method, route, kwargs, status, code
):
    response = api(server, method, route, bad, **kwargs)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert server.leftovers() == []


def test_other_galleries_are_chosen_by_allowlisted_name_only(server):
    for name in ("../database", "/etc", "nope"):
        response = api(server, "GET", "/residents", name)
        assert (
            response.status_code == 404 and response.json()["error"]["code"] == "gallery_not_found"
        )
    default = requests.get(f"{server.url}/residents", timeout=30).json()["residents"]
    assert [r["name"] for r in default] == ["Alice", "Bob", "Carol"]
    raw = server.raw("GET", "/residents/..")
    assert raw.status in (400, 404)


def test_symbolic_links_are_never_residents_nor_written_through(server, tmp_path):
    gallery = new_gallery(server, "links")
    root = server.state_dir.parent / "galleries" / gallery
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(FACES / ALICE[0], outside / "alice.jpg")
    (outside / ".meta.json").write_text('{"secret": "outside the gallery"}')
    (root / "Eve").symlink_to(outside)  # a resident folder leading out of the gallery
    (root / "Fay.jpg").symlink_to(outside / "alice.jpg")  # a single-photo resident
    (root / "Bob").symlink_to(outside)  # beside the real Bob.jpg: Bob's folder would be a link
    listed = api(server, "GET", "/residents", gallery)
    assert listed.status_code == 200, listed.text
    assert [(r["name"], r["metadata"]) for r in listed.json()["residents"]] == [("Bob", {})]
    assert identify(server, gallery)[0]["name"] is None  # Alice's photo behind a link is unread
    for method, route, kwargs in [
        ("GET", "/residents/Eve", {}),
        ("PATCH", "/residents/Eve", {"json": {"metadata": {"x": 1}}}),
        ("PATCH", "/residents/Bob", {"json": {"metadata": {"x": 1}}}),
        ("POST", "/residents/Bob/images", {"files": {"file": photo(ALICE[1])}}),
        ("DELETE", "/residents/Fay", {}),
        ("DELETE", "/residents/Eve", {}),
        ("POST", "/residents", {"data": {"name": "Eve"}, "files": {"file": photo(ALICE[1])}}),
    ]:
        response = api(server, method, route, gallery, **kwargs)
        assert response.status_code == 409, (method, route, response.text)
        assert response.json()["error"]["code"] == "resident_is_link"
    assert sorted(p.name for p in outside.iterdir()) == [".meta.json", "alice.jpg"]
    assert (outside / ".meta.json").read_text() == '{"secret": "outside the gallery"}'
    assert (root / "Eve").is_symlink() and (root / "Fay.jpg").is_symlink()
    assert (root / "Bob.jpg").is_file()  # not moved into the linked folder
    (root / "Bob").unlink()
    (root / "Bob").mkdir()
    (root / "Bob" / ".meta.json").symlink_to(outside / ".meta.json")
    assert api(server, "GET", "/residents/Bob", gallery).json()["metadata"] == {}
    changed = api(server, "PATCH", "/residents/Bob", gallery, json={"metadata": {"x": 1}})
    assert changed.status_code == 200 and changed.json()["metadata"] == {"x": 1}
    assert (outside / ".meta.json").read_text() == '{"secret": "outside the gallery"}'
