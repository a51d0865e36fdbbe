"""The Review page and the pages that follow changes, in a real browser against the real server.

Review: nothing is preselected and Confirm waits for a resident; each row shows the face's size,
its blur, the track's best match and its margin, and whether a confirmation would be kept (kept,
then refused as a near-duplicate once kept); the blurred face crop is shown only with camera
snapshots on and a logged-in session, and is held in memory only. The Residents list and the
Dashboard follow changes without a reload. Each test has residents, cameras and photos of its
own (the session server is shared)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import API_KEY, PRIVACY, shot
from tests.browser.test_ui import WAIT_MS, log_in
from tests.browser.test_ui_pages import LOADED_WIDTH, pictures_under
from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server

KEY = {"X-API-Key": API_KEY}
STRANGER = "img22.jpg"  # person08: nobody's photo on these servers
QUINN, UMA, RHEA = "img18.jpg", "img24.jpg", "img34.jpg"  # persons 06, 09, 12
NEAREST = re.compile(
    r"^nearest resident (.+): distance (\d\.\d{3}), accept distance (\d\.\d{3}) "
    r"\((\d\.\d{3}) (inside|outside)\)$"
)


def enroll(url: str, name: str, photo: str) -> None:
    answer = requests.post(
        f"{url}/residents",
        headers=KEY,
        data={"name": name},
        files={"file": (photo, (FACES / photo).read_bytes(), "image/jpeg")},
        timeout=WAIT_MS / 1000,
    )
    assert answer.status_code == 201, answer.text


@contextmanager
def watched(url: str, name: str, photo: str, privacy: int) -> Iterator[MjpegCamera]:
    """A loopback camera showing `photo`, watched by the server while in the block."""
    with MjpegCamera(FACES / photo, fps=10) as camera:
        spec: dict[str, str | int | bool] = {
            "name": name,
            "url": f"{camera.url}/live.mjpg",
            "privacy_parameter": privacy,
        }
        added = requests.post(f"{url}/cameras", headers=KEY, json={**spec, "watch": True})
        assert added.status_code == 201, added.text
        try:
            yield camera
        finally:
            requests.delete(f"{url}/cameras/{name}", headers=KEY, timeout=30).raise_for_status()


def first_event(url: str, camera: str, kind: str) -> int:
    """The id of `camera`'s first event of type `kind`, once there is one."""
    found: list[dict] = []

    def seen() -> bool:
        params = {"camera": camera, "type": kind}
        found[:] = requests.get(f"{url}/events", params=params, headers=KEY, timeout=10).json()[
            "events"
        ]
        return bool(found)

    until(seen, f"a {kind} event of camera {camera}", WAIT_MS / 1000)
    return found[0]["id"]


def test_review_preselects_nobody_and_explains_what_a_confirmation_would_do(page, ui_server):
    url = ui_server.url
    with watched(url, "review-cam", STRANGER, PRIVACY):
        event = first_event(url, "review-cam", "unknown")
        enroll(url, "Quinn Review", QUINN)
        try:
            log_in(page, url)
            page.goto(f"{url}/ui/review")
            selects = page.locator("#review select")
            assert set(selects.evaluate_all("all => all.map((s) => s.value)")) == {""}
            row = page.locator(f"#review tr[data-event='{event}']")
            choose = row.get_by_label("This is")
            confirm = row.get_by_role("button", name="Confirm")
            expect(choose).to_have_value("")
            expect(choose.locator("option:checked")).to_have_text("choose a resident…")
            expect(confirm).to_be_disabled()

            expect(row.locator(".size")).to_have_text(re.compile(r"^\d+ px wide$"))
            expect(row.locator(".blur")).to_have_text(
                re.compile(rf"^privacy {PRIVACY}: blur \d+\.\d % of the face's width$")
            )
            facts = NEAREST.match(row.locator(".nearest").inner_text())
            assert facts, row.locator(".nearest").inner_text()
            _, distance, threshold, margin, side = facts.groups()
            assert side == "outside"  # an unknown face: its best match was not close enough
            assert abs(float(distance) - float(threshold) - float(margin)) <= 0.0015
            verdict = row.locator(".verdict")
            expect(verdict).to_have_text(
                f"Confirming keeps it as a view of the resident you choose at privacy {PRIVACY}."
            )

            # only with snapshots on and a logged-in session: the face, blurred as analysed
            face = row.locator("img.face")
            expect(face).to_have_attribute(
                "alt", f"The face of event {event}, blurred as the analysis saw it"
            )
            assert 0 < face.evaluate(LOADED_WIDTH) <= 160
            crop = page.context.request.get(f"{url}{face.get_attribute('src')}")
            assert crop.headers["cache-control"] == "private, no-store"
            by_key = requests.get(f"{url}/ui/events/{event}/face.jpg", headers=KEY, timeout=10)
            assert (by_key.status_code, by_key.json()["error"]["code"]) == (
                404,
                "snapshot_unavailable",
            )
            assert pictures_under(ui_server.state_dir) == []  # held in memory only
            shot(page, "review-details")

            choose.select_option("Quinn Review")
            expect(confirm).to_be_enabled()
            expect(verdict).to_have_text(
                f"Confirming keeps it as a view of Quinn Review at privacy {PRIVACY}."
            )
            confirm.click()
            expect(page.locator("#review-state")).to_contain_text("now one of Quinn Review's")
            page.reload()
            expect(row.locator(".verdict")).to_have_text(
                re.compile(r"^A near-duplicate: will not be kept — a near-duplicate of a view of ")
            )
            choose.select_option("Quinn Review")
            expect(confirm).to_be_disabled()  # it would be refused: nothing to confirm
        finally:
            requests.delete(f"{url}/residents/Quinn Review", headers=KEY, timeout=60)
    assert page.errors == [], page.errors


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory, hall) -> Iterator[Server]:
    """Like the session's server, but with camera snapshots off (the default)."""
    camera = {"url": f"{hall.url}/live.mjpg", "privacy_parameter": PRIVACY, "watch": True}
    running = start_server(
        tmp_path_factory.mktemp("plain"),
        API_KEY=API_KEY,
        CAMERAS=json.dumps({"hall": camera}),
        CAMERA_HOSTS='["127.0.0.1"]',
    )
    yield running
    stop_server(running)


def test_review_shows_no_face_crop_with_snapshots_off(page, plain_server):
    url = plain_server.url
    event = first_event(url, "hall", "recognized")
    log_in(page, url)
    page.goto(f"{url}/ui/review")
    row = page.locator(f"#review tr[data-event='{event}']")
    expect(row.locator(".nearest")).to_have_text(NEAREST)  # the facts, as with snapshots on
    expect(row.locator(".verdict")).to_be_visible()
    expect(row.locator("img")).to_have_count(0)
    crop = page.context.request.get(f"{url}/ui/events/{event}/face.jpg")
    assert (crop.status, crop.json()["error"]["code"]) == (404, "snapshot_unavailable")
    assert page.errors == [], page.errors


def test_the_residents_list_follows_enrolling_and_deleting_without_a_reload(page, ui_server):
    url = ui_server.url
    log_in(page, url)
    page.goto(f"{url}/ui/residents")
    page.evaluate("window.stayed = true")  # gone if the page were loaded again
    page.fill("#enroll-name", "Rhea Live")
    page.set_input_files("#enroll-files", str(FACES / RHEA))
    page.click("#enroll button[type=submit]")
    row = page.locator("tr[data-resident='Rhea Live']")
    expect(row).to_contain_text("1 photo", timeout=WAIT_MS)
    expect(row.get_by_role("img", name="Photo 1 of Rhea Live")).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete…").click()
    expect(row).to_have_count(0)
    assert page.evaluate("window.stayed") is True
    assert page.errors == [], page.errors


def test_the_dashboard_follows_events_without_a_reload(page, ui_server):
    url = ui_server.url
    log_in(page, url)  # lands on the Dashboard
    page.evaluate("window.stayed = true")
    enroll(url, "Uma Dash", UMA)
    try:
        with watched(url, "dash-cam", UMA, 0):
            expect(page.locator("#present")).to_contain_text(
                "Uma Dash (camera dash-cam", timeout=WAIT_MS
            )
            expect(page.locator("#dashboard table")).to_contain_text("dash-cam")
            assert page.evaluate("window.stayed") is True
            shot(page, "dashboard-live")
    finally:
        requests.delete(f"{url}/residents/Uma Dash", headers=KEY, timeout=60)
    assert page.errors == [], page.errors
