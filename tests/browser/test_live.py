"""The Events, Review and Analyse pages live, in a real browser (Chromium through Playwright)
against the real server: a camera added while the Events page is open shows its event there
without a reload, and the filters select events; a stranger's face seen by that camera is
confirmed as a new resident on the Review page and is named from then on, and a face too blurred
to enroll but large enough for its blur is confirmed too; an uploaded video's analysis progress is
shown frame by frame until the result. Cleans up after itself (camera, resident, Alice's confirmed
face), for tests/browser/test_ui.py."""

from __future__ import annotations

import sqlite3
import time

import cv2
import requests
from playwright.sync_api import expect

from tests.browser.conftest import API_KEY, shot
from tests.browser.test_ui import WAIT_MS, log_in
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.test_openapi import schema_check

KEY = {"X-API-Key": API_KEY}
# person02: img53 is enrolled as Erin; img12, another photo of them, is just too far to be named.
ERIN, OTHER_ERIN = "img53.jpg", "img12.jpg"


def events_page(url: str, **filters: str) -> str:
    answer = requests.get(f"{url}/ui/events", params=filters, headers=KEY, timeout=30)
    answer.raise_for_status()
    return answer.text


def analyse(page, url: str, media, privacy: int) -> None:
    page.goto(f"{url}/ui/analyse")
    page.set_input_files("#analyse-file", str(media))
    page.select_option("#analyse-privacy", str(privacy))
    page.click("#analyse button[type=submit]")
    expect(page.locator("#analyse-state")).to_have_text("Done.", timeout=WAIT_MS)


def test_events_appear_live_and_a_stranger_is_confirmed_as_a_resident(page, ui_server):
    url = ui_server.url
    enrolled = requests.post(
        f"{url}/residents",
        data={"name": "Erin"},
        files={"file": (ERIN, (FACES / ERIN).read_bytes(), "image/jpeg")},
        headers=KEY,
        timeout=120,
    )
    assert enrolled.status_code == 201, enrolled.text
    log_in(page, url)
    page.goto(f"{url}/ui/events?type=unknown")
    expect(page.locator("#event-filters select[name=type]")).to_have_value("unknown")
    rows = page.locator("#events tbody tr[data-event]")
    before = rows.count()
    with MjpegCamera(FACES / OTHER_ERIN, fps=10) as porch:
        camera = {"name": "porch", "url": f"{porch.url}/live.mjpg", "privacy_parameter": 0}
        added = requests.post(f"{url}/cameras", json={**camera, "watch": True}, headers=KEY)
        assert added.status_code == 201, added.text
        try:
            live = rows.filter(has_text="porch")
            expect(live.first).to_contain_text("unknown", timeout=WAIT_MS)  # no reload
            assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
            assert rows.count() > before
            assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {"unknown"}
            shot(page, "events-live")

            page.select_option("#event-filters select[name=camera]", "hall")
            page.click("#event-filters button[type=submit]")
            expect(page).to_have_url(f"{url}/ui/events?camera=hall&resident=&type=unknown&since=")
            expect(rows.filter(has_text="porch")).to_have_count(0)
            # more filtered pages without a browser: each page left holds its event stream (one
            # of EVENT_STREAM_CLIENTS) until the server's next keepalive finds it closed
            assert "<td>porch</td>" in events_page(url, camera="porch")
            future = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 3600))
            assert "<tr data-event" not in events_page(url, camera="porch", since=future)

            page.goto(f"{url}/ui/review")
            stranger = page.locator("#review tr[data-event]").filter(has_text="porch").first
            stranger.locator("select").select_option("Erin")
            stranger.get_by_role("button", name="Confirm").click()
            expect(page.locator("#review-state")).to_contain_text("now one of Erin's")
            # the hall camera (privacy 9) blurs Alice's face below the enrollment sharpness, but
            # it is large enough for that blur: it becomes one of her views at that blur
            hall = page.locator("#review tr[data-event]").filter(has_text="hall").first
            hall_event = hall.get_attribute("data-event")
            hall.locator("select").select_option("Alice")
            hall.get_by_role("button", name="Confirm").click()
            expect(page.locator("#review-state")).to_contain_text("now one of Alice's")
            page.reload()
            expect(page.locator("#positives tr[data-resident=Erin] .positive")).to_have_count(1)
            expect(page.locator("#positives tr[data-resident=Alice] .positive")).to_have_count(1)
            shot(page, "review-confirmed")
            twice = requests.post(f"{url}/events/{hall_event}/is/Alice", headers=KEY, timeout=30)
            assert (twice.status_code, twice.json()["error"]["code"]) == (422, "positive_rejected")
            (alices,) = requests.get(f"{url}/residents/Alice/positives", headers=KEY).json()[
                "positives"
            ]  # forgotten again: tests/browser/test_ui.py expects Alice as enrolled
            forget = f"{url}/residents/Alice/positives/{alices['id']}"
            requests.delete(forget, headers=KEY, timeout=30).raise_for_status()
        finally:
            requests.delete(f"{url}/cameras/porch", headers=KEY, timeout=30).raise_for_status()

    analyse(page, url, FACES / OTHER_ERIN, 0)  # the face confirmed as Erin is now named
    expect(page.locator("#analyse-residents")).to_contain_text("Erin")
    listed = requests.get(f"{url}/residents/Erin/positives", headers=KEY, timeout=10).json()
    doc = requests.get(f"{url}/openapi.json", headers=KEY, timeout=30).json()
    schema_check(doc, "PositiveList", listed)
    (positive,) = listed["positives"]
    page.goto(f"{url}/ui/review")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name=f"Forget confirmed face {positive['id']} of Erin").click()
    expect(page.locator("#positives tr[data-resident=Erin]")).to_contain_text("none")
    analyse(page, url, FACES / OTHER_ERIN, 0)
    expect(page.locator("#analyse-residents")).to_have_text("No resident named.")

    again = requests.post(f"{url}/events/{positive['event_id']}/is/Erin", headers=KEY, timeout=30)
    assert again.status_code == 201, again.text
    schema_check(doc, "Positive", again.json())
    twice = requests.post(f"{url}/events/{positive['event_id']}/is/Erin", headers=KEY, timeout=30)
    assert (twice.status_code, twice.json()["error"]["code"]) == (422, "positive_rejected")
    assert "duplicate" in twice.json()["error"]["message"]
    progress = requests.get(f"{url}/analyses/no-such-request/progress", headers=KEY, timeout=10)
    schema_check(doc, "AnalysisProgress", progress.json())
    assert progress.json()["state"] == "unknown"
    requests.delete(f"{url}/residents/Erin", headers=KEY, timeout=60).raise_for_status()
    with sqlite3.connect(ui_server.state_dir / "state.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM positives WHERE name = 'Erin'").fetchone() == (0,)
    assert page.errors == []


def test_the_analysis_progress_is_shown_until_the_result(page, ui_server, tmp_path):
    face = cv2.resize(cv2.imread(str(FACES / "img4.jpg")), (480, 360))  # Alice
    video = tmp_path / "hallway.mp4"
    frames = 60
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (480, 360))
    for _ in range(frames):
        writer.write(face)
    writer.release()
    log_in(page, ui_server.url)
    page.goto(f"{ui_server.url}/ui/analyse")
    page.evaluate(
        """() => {
        window.states = [];
        const state = document.getElementById("analyse-state");
        new MutationObserver(() => window.states.push(state.textContent))
          .observe(state, { childList: true, characterData: true, subtree: true });
    }"""
    )
    page.set_input_files("#analyse-file", str(video))
    page.select_option("#analyse-privacy", "0")
    page.click("#analyse button[type=submit]")
    expect(page.locator("#analyse-state")).to_have_text("Done.", timeout=WAIT_MS)
    expect(page.locator("#analyse-residents")).to_contain_text("Alice")
    shot(page, "analyse-video")
    states = page.evaluate("window.states")
    counted = [s for s in states if s.startswith("Analysing: frame")]
    assert counted, states
    done = [int(s.split()[2]) for s in counted]
    assert done == sorted(done) and done[0] < frames, states  # it moved, frame by frame
    assert {s.split()[4].rstrip("…") for s in counted} == {str(frames)}
    assert states[-1] == "Done." and page.errors == [], page.errors
