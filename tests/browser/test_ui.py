"""The web UI in a real browser (Chromium through Playwright) against the real server: log in,
enroll a resident and see the quality gate's verdict per photo, analyse an uploaded image and see
the result, see the camera's recognition on the Review page, mark it wrong — and the same face is
then not named. Every page is screenshotted to tests/artifacts/."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests
from playwright.sync_api import expect

from tests.browser.conftest import API_KEY, PRIVACY, shot
from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.test_openapi import schema_check

SAMPLE_ALICE = Path(__file__).resolve().parents[2] / "database" / "Alice"
WAIT_MS = 120_000  # generous: models on a shared 2-core machine


def log_in(page, url: str) -> None:
    page.goto(f"{url}/")
    expect(page).to_have_url(f"{url}/ui/login")
    page.fill("#api_key", API_KEY)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/ui/")


def analyse(page, url: str, photo: str) -> None:
    page.goto(f"{url}/ui/analyse")
    page.set_input_files("#analyse-file", str(FACES / photo))
    page.select_option("#analyse-privacy", str(PRIVACY))
    page.click("#analyse button[type=submit]")
    expect(page.locator("#analyse-state")).to_have_text("Done.", timeout=WAIT_MS)


def test_login_exchanges_the_key_for_a_strict_httponly_session(page, ui_server):
    url = ui_server.url
    page.goto(f"{url}/ui/residents")
    expect(page).to_have_url(f"{url}/ui/login")
    shot(page, "login")
    page.fill("#api_key", "not-the-key")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("not the service's API key")
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"
    ]  # the refused login itself, and nothing else
    page.errors.clear()
    page.fill("#api_key", API_KEY)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/ui/")
    expect(page.locator("#state")).to_contain_text("Ready")
    shot(page, "dashboard")
    (cookie,) = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert API_KEY not in cookie["value"] and API_KEY not in page.url
    assert API_KEY not in page.evaluate("JSON.stringify(localStorage) + document.cookie")
    # the cookie without the page's CSRF token changes nothing
    refused = page.context.request.post(f"{url}/events/1/wrong")
    assert refused.status == 403 and refused.json()["error"]["code"] == "csrf_failed"
    headers = requests.get(f"{url}/ui/login", timeout=10).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert page.errors == [], page.errors


def test_enroll_shows_the_verdict_of_each_photo_and_delete_asks_first(page, ui_server):
    url = ui_server.url
    log_in(page, url)
    page.goto(f"{url}/ui/residents")
    page.fill("#enroll-name", "Dave")
    page.set_input_files("#enroll-files", [str(FACES / "img12.jpg"), str(FACES / "couple.jpg")])
    page.click("#enroll button[type=submit]")
    verdicts = page.locator(".verdicts li")
    expect(verdicts).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator(".verdicts li.ok")).to_have_text("img12.jpg: accepted")
    expect(page.locator(".verdicts li.error")).to_contain_text("couple.jpg: rejected")
    shot(page, "residents-enrolled")
    page.goto(f"{url}/ui/residents")
    row = page.locator("tr[data-resident=Dave]")
    expect(row).to_contain_text("1")
    page.once("dialog", lambda d: d.dismiss())  # "no": nothing happens
    row.get_by_role("button", name="Delete…").click()
    expect(row).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete…").click()
    expect(page.locator("tr[data-resident=Dave]")).to_have_count(0)
    shot(page, "residents")
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: nothing scrolls sideways
    for name in ("residents", "analyse", "review"):
        page.goto(f"{url}/ui/{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "review-phone")
    assert page.errors == [], page.errors


def test_a_recognition_marked_wrong_is_not_named_again(page, ui_server):
    url = ui_server.url
    log_in(page, url)
    analyse(page, url, "img5.jpg")  # the face the hall camera shows
    expect(page.locator("#analyse-residents")).to_contain_text("Alice")
    shot(page, "analyse-named")

    not_alice = page.get_by_role("button", name="Not Alice")
    # the hall camera's rows only: other modules' cameras may have recognised Alice too
    review = page.locator("#review tr[data-event]").filter(has=not_alice).filter(has_text="hall")
    page.goto(f"{url}/ui/review")
    for _ in range(WAIT_MS // 1000):  # the hall camera's watcher reports Alice
        if review.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(review.first).to_contain_text("hall")
    shot(page, "review")
    review.first.get_by_role("button", name="Not Alice").click()
    expect(page.locator("#review-state")).to_contain_text("not Alice")

    analyse(page, url, "img5.jpg")
    expect(page.locator("#analyse-residents")).to_have_text("No resident named.")
    expect(page.locator("#analyse-counts")).to_contain_text("Unknown faces: 1")
    shot(page, "analyse-after-feedback")
    analyse(page, url, "img4.jpg")  # another photo of Alice is still named
    expect(page.locator("#analyse-residents")).to_contain_text("Alice")

    page.goto(f"{url}/ui/residents")
    expect(page.locator("tr[data-resident=Alice] .negative")).to_have_count(1)
    for name in ("cameras", "events"):
        page.goto(f"{url}/ui/{name}")
        expect(page.locator("table")).to_contain_text("hall")
        shot(page, name)
    assert page.errors == [], page.errors


def test_feedback_routes_answer_as_documented_and_go_with_the_resident(ui_server):
    """The JSON routes behind "Not Alice", checked against the OpenAPI description; deleting the
    resident erases her negatives. Alice is enrolled again afterwards, from the same photos, so
    the session's server is left as this test found it."""
    url, key = ui_server.url, {"X-API-Key": API_KEY}
    doc = requests.get(f"{url}/openapi.json", headers=key, timeout=30).json()

    def recognitions() -> list[dict]:
        query = {"type": "recognized", "resident": "Alice"}
        return requests.get(f"{url}/events", params=query, headers=key, timeout=10).json()["events"]

    until(recognitions, "a recognition of Alice by the hall camera", WAIT_MS / 1000)
    event = recognitions()[-1]["id"]
    marked = requests.post(f"{url}/events/{event}/wrong", headers=key, timeout=10)
    assert marked.status_code == 201, marked.text
    schema_check(doc, "Negative", marked.json())
    listed = requests.get(f"{url}/residents/Alice/negatives", headers=key, timeout=10)
    schema_check(doc, "NegativeList", listed.json())
    assert marked.json()["id"] in [n["id"] for n in listed.json()["negatives"]]
    gone = f"{url}/residents/Alice/negatives/{marked.json()['id']}"
    deleted = requests.delete(gone, headers=key, timeout=10)
    schema_check(doc, "NegativeDeleted", deleted.json())
    again = requests.delete(gone, headers=key, timeout=10)
    assert (again.status_code, again.json()["error"]["code"]) == (404, "negative_not_found")
    missing = requests.post(f"{url}/events/999999/wrong", headers=key, timeout=10)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "event_not_found")
    assert requests.post(f"{url}/events/{event}/wrong", timeout=10).status_code == 401

    requests.post(f"{url}/events/{event}/wrong", headers=key, timeout=10).raise_for_status()
    requests.delete(f"{url}/residents/Alice", headers=key, timeout=60).raise_for_status()
    try:
        with sqlite3.connect(ui_server.state_dir / "state.sqlite3") as db:
            erased = db.execute("SELECT count(*) FROM negatives WHERE name = 'Alice'").fetchone()
        assert erased == (0,)
    finally:
        photos = [open(p, "rb") for p in sorted(SAMPLE_ALICE.glob("*.jpg"))]  # noqa: SIM115
        try:
            files = [("file", (p.name, p, "image/jpeg")) for p in photos]
            again = requests.post(
                f"{url}/residents", headers=key, data={"name": "Alice"}, files=files, timeout=120
            )
        finally:
            for p in photos:
                p.close()
        assert again.status_code == 201, again.text
