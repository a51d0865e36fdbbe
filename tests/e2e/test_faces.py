"""Single-image endpoints through the real server: detect, identify and verify (pairs of
labels.csv: person01 img1/2/4/5, person05 img16/17/59, person10 img26/28)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import requests

from tests.conftest import FACES
from tests.e2e.test_openapi import schema_check

SAME = [("img1.jpg", "img4.jpg"), ("img2.jpg", "img5.jpg"), ("img26.jpg", "img28.jpg")]
DIFFERENT = [("img1.jpg", "img16.jpg"), ("img4.jpg", "img17.jpg"), ("img17.jpg", "img2.jpg")]


@pytest.fixture(scope="module")
def doc(server) -> dict:
    return requests.get(f"{server.url}/openapi.json", timeout=30).json()


def post(server, route: str, files: dict, data: dict | None = None) -> requests.Response:
    parts = {k: (v, (FACES / v).read_bytes(), "image/jpeg") for k, v in files.items()}
    return requests.post(f"{server.url}{route}", files=parts, data=data, timeout=120)


@pytest.mark.parametrize("privacy", [0, 17])
@pytest.mark.parametrize("pair, same", [(p, True) for p in SAME] + [(p, False) for p in DIFFERENT])
def test_verify_tells_same_and_different_people_apart(server, doc, privacy, pair, same):
    response = post(server, f"/faces/verify/{privacy}", {"file1": pair[0], "file2": pair[1]})
    assert response.status_code == 200, response.text
    body = response.json()
    schema_check(doc, "Verification", body)
    assert body["same_person"] is same, body
    assert body["privacy_parameter"] == privacy and body["faces"] == [1, 1]
    assert (body["distance"] <= body["threshold"]) is same


def test_detect_gives_boxes_landmarks_and_the_verifiers_verdict(server, doc):
    response = post(server, "/faces/detect/9", {"file": "couple.jpg"})
    assert response.status_code == 200
    body = response.json()
    schema_check(doc, "Detection", body)
    assert len(body["faces"]) == 2 and all(f["verified"] for f in body["faces"])
    assert all(len(f["landmarks"]) == 5 for f in body["faces"])


def test_identify_names_residents_of_the_chosen_gallery(server, doc):
    default = post(server, "/faces/identify/17", {"file": "img5.jpg"})
    schema_check(doc, "Identification", default.json())
    assert [f["name"] for f in default.json()["faces"]] == ["Alice"]
    stranger = post(server, "/faces/identify/17", {"file": "img29.jpg"}, {"path": "family"})
    assert [f["name"] for f in stranger.json()["faces"]] == [None]
    assert stranger.json()["unknown_faces"] == 1


@pytest.mark.parametrize(
    "route, files, status, code",
    [
        ("/faces/detect/4", {"file": "img1.jpg"}, 400, "invalid_privacy_parameter"),
        ("/faces/identify/0", {}, 400, "missing_file"),
        ("/faces/verify/0", {"file1": "img1.jpg"}, 400, "missing_file"),
        ("/faces/verify/0", {"file1": "img1.jpg", "file2": "labels.csv"}, 415, "unsupported_media"),
        ("/faces/detect/0", {"file": "pairs.csv"}, 415, "unsupported_media"),
    ],
)
def test_bad_single_image_requests(server, doc, route, files, status, code):
    response = (
        post(server, route, files) if files else requests.post(f"{server.url}{route}", timeout=30)
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    schema_check(doc, "Error", response.json())
    operation = doc["paths"][route.rsplit("/", 1)[0] + "/{privacy_parameter}"]["post"]
    assert str(status) in operation["responses"]
    assert server.leftovers() == []


def test_verify_without_a_face_is_422(server):
    blank = cv2.imencode(".jpg", np.full((200, 200, 3), 90, np.uint8))[1].tobytes()
    files = {
        "file1": ("a.jpg", (FACES / "img1.jpg").read_bytes(), "image/jpeg"),
        "file2": ("b.jpg", blank, "image/jpeg"),
    }
    response = requests.post(f"{server.url}/faces/verify/0", files=files, timeout=60)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "no_face_found")
