"""The Residents and Cameras pages in a real browser against the real server (thumbnails, rename,
metadata, add and remove photos with the quality gate's verdicts; camera editing and the blurred
snapshot, the privacy advice for the faces a camera sees), and every page's keyboard reach,
accessible names, text contrast (WCAG AA) and phone width. Independent of
tests/browser/test_ui.py's residents: uses Bob, Carol and its own."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests
from playwright.sync_api import expect

from app.pipeline.matching import AcceptRule
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.privacy_advice import largest_privacy, smallest_face
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER
from tests.browser.conftest import API_KEY, PRIVACY, shot
from tests.browser.test_ui import WAIT_MS, log_in
from tests.bus.wait import until
from tests.conftest import FACES

KEY = {"X-API-Key": API_KEY}
REFUSED = "Failed to load resource: the server responded with a status of {}"
PAGES = ["", "residents", "analyse", "cameras", "events", "review"]
INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    '[tabindex]:not([tabindex="-1"])'
)
# Marks the visible interactive elements (data-kb) and returns each one's accessible name, as
# the accessible-name computation would find it: aria-label, aria-labelledby, its <label>s, the
# text of a button, link or summary, the value of an input button.
MARK_CONTROLS = """(selector) => {
  const name = (e) => {
    const aria = (e.getAttribute("aria-label") || "").trim();
    if (aria) return aria;
    const by = e.getAttribute("aria-labelledby");
    if (by) return by.split(/\\s+/).map((id) => document.getElementById(id)?.textContent || "")
      .join(" ").trim();
    if (e.labels && e.labels.length) return Array.from(e.labels).map((l) => l.textContent)
      .join(" ").trim();
    if (["A", "BUTTON", "SUMMARY"].includes(e.tagName)) return e.textContent.trim();
    if (e.tagName === "INPUT" && ["submit", "button"].includes(e.type)) return e.value.trim();
    return (e.getAttribute("title") || "").trim();
  };
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const shown = Array.from(document.querySelectorAll(selector)).filter((e) =>
    e.getClientRects().length && getComputedStyle(e).visibility !== "hidden" && !e.disabled);
  return shown.map((e, i) => {
    e.dataset.kb = String(i);
    return { tag: e.tagName, name: name(e) };
  });
}"""
# Every visible element with text of its own (and every form field): its text colour and the
# background colour it is drawn on (the nearest ancestor's that is not transparent).
TEXT_COLOURS = """() => {
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const own = (e) => Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  return Array.from(document.body.querySelectorAll("*"))
    .filter((e) => e.getClientRects().length && (own(e) || ["INPUT", "TEXTAREA", "SELECT"]
      .includes(e.tagName)))
    .map((e) => ({ what: `${e.tagName}.${e.className} ${(e.textContent || "").trim().slice(0, 30)}`,
      colour: rgba(getComputedStyle(e).color), background: background(e) }));
}"""


def luminance(rgb: list[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 channels)."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
              for c in rgb[:3]]  # fmt: skip
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def decoded(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_contrast_is_computed_as_wcag_says():
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21.0)
    assert contrast([118, 118, 118], [255, 255, 255]) == pytest.approx(4.54, abs=0.01)


# the image's width once it has loaded (0 if it fails): visible is not yet loaded on a busy machine
LOADED_WIDTH = """i => i.complete ? i.naturalWidth : new Promise(done => {
    i.addEventListener("load", () => done(i.naturalWidth), {once: true});
    i.addEventListener("error", () => done(0), {once: true});
})"""


def test_residents_page_thumbnails_edit_add_and_remove_photos(page, ui_server):
    url = ui_server.url
    log_in(page, url)
    page.goto(f"{url}/ui/residents")
    bob = page.locator("tr[data-resident=Bob]")
    photo = bob.get_by_role("img", name="Photo 1 of Bob")
    expect(photo).to_be_visible()
    assert 0 < photo.evaluate(LOADED_WIDTH) <= 96
    shot(page, "residents-thumbnails")
    # the thumbnail: the household's own enrolled photo, downscaled, never cached on disk
    source = photo.get_attribute("src")
    thumbnail = page.context.request.get(f"{url}{source}")
    assert thumbnail.status == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.headers["cache-control"] == "private, no-store"
    assert max(decoded(thumbnail.body()).shape[:2]) == 96
    assert requests.get(f"{url}{source}", timeout=10).status_code == 401
    missing = page.context.request.get(f"{url}/ui/residents/Bob/photos/0000000000000000.jpg")
    assert (missing.status, missing.json()["error"]["code"]) == (404, "image_not_found")

    enrolled = requests.post(
        f"{url}/residents",
        headers=KEY,
        data={"name": "Gwen"},
        files={"file": ("a.jpg", (FACES / "img12.jpg").read_bytes(), "image/jpeg")},
        timeout=WAIT_MS / 1000,
    )
    assert enrolled.status_code == 201, enrolled.text
    page.goto(f"{url}/ui/residents")
    gwen = page.locator("tr[data-resident=Gwen]")
    gwen.locator("summary").click()
    gwen.get_by_label("Add photos of Gwen").set_input_files(
        [str(FACES / "img13.jpg"), str(FACES / "couple.jpg")]
    )
    gwen.get_by_role("button", name="Add photos", exact=True).click()
    verdicts = gwen.locator(".verdicts li")
    expect(verdicts).to_have_count(2, timeout=WAIT_MS)
    expect(gwen.locator(".verdicts li.ok")).to_have_text("img13.jpg: accepted")
    expect(gwen.locator(".verdicts li.error")).to_contain_text("couple.jpg: rejected — ")
    expect(gwen.get_by_role("status")).to_have_text("1 photo(s) added; Gwen has 2.")
    page.goto(f"{url}/ui/residents")
    expect(gwen.locator(".photos img")).to_have_count(2)

    second = gwen.get_by_role("button", name="Remove photo 2 of Gwen")
    page.once("dialog", lambda d: d.dismiss())  # "no": nothing is removed
    second.click()
    expect(gwen.locator(".photos img")).to_have_count(2)
    page.once("dialog", lambda d: d.accept())
    second.click()
    expect(gwen.locator(".photos img")).to_have_count(1)
    assert requests.get(f"{url}/residents/Gwen", headers=KEY, timeout=10).json()["image_count"] == 1

    gwen.locator("summary").click()
    gwen.get_by_label("Metadata").fill("{not json")
    gwen.get_by_role("button", name="Save Gwen").click()
    expect(gwen.get_by_role("alert")).to_have_text("The metadata is not valid JSON.")
    gwen.get_by_label("Name").fill("Gwen Rossi")
    gwen.get_by_label("Metadata").fill('{"room": "attic"}')
    gwen.get_by_role("button", name="Save Gwen").click()
    renamed = page.locator('tr[data-resident="Gwen Rossi"]')
    expect(renamed.locator("code.meta")).to_have_text('{"room": "attic"}')
    expect(page.locator("tr[data-resident=Gwen]")).to_have_count(0)
    stored = requests.get(f"{url}/residents/Gwen Rossi", headers=KEY, timeout=10).json()
    assert (stored["metadata"], stored["image_count"]) == ({"room": "attic"}, 1)
    taken = page.locator("tr[data-resident=Bob]")
    taken.locator("summary").click()
    taken.get_by_label("Name").fill("Gwen Rossi")
    taken.get_by_role("button", name="Save Bob").click()
    expect(taken.get_by_role("alert")).to_contain_text("already exists")

    page.once("dialog", lambda d: d.accept())
    renamed.get_by_role("button", name="Delete…").click()
    expect(renamed).to_have_count(0)
    assert page.errors == [REFUSED.format("409 (CONFLICT)")]  # the taken name, and nothing else


IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM")


def pictures_under(root: Path) -> list[Path]:
    """Files under `root` that begin like an image file (JPEG, PNG, GIF, WebP, BMP)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                head = f.read(8)
            if head.startswith(IMAGE_MAGIC):
                found.append(path)
    return found


def test_cameras_page_edits_a_camera_and_shows_only_the_blurred_snapshot(page, ui_server, hall):
    url = ui_server.url
    camera = {"name": "porch", "url": f"{hall.url}/live.mjpg", "privacy_parameter": 9}
    added = requests.post(f"{url}/cameras", headers=KEY, json=camera, timeout=10)
    assert added.status_code == 201, added.text
    log_in(page, url)
    page.goto(f"{url}/ui/cameras")
    porch = page.locator("tr[data-camera=porch]")
    porch.locator("summary").click()
    porch.get_by_role("button", name="Save porch").click()
    expect(porch.locator(".result")).to_have_text("Nothing changed.")
    porch.get_by_label("Privacy").fill("25")
    porch.get_by_label("Frames analysed per second").fill("2")
    porch.get_by_label("Watch always").check()
    porch.get_by_role("button", name="Save porch").click()
    expect(porch.locator("td").nth(2)).to_have_text("25")
    expect(porch.locator("td").nth(3)).to_have_text("yes")
    stored = requests.get(f"{url}/cameras/porch", headers=KEY, timeout=10).json()
    assert stored["privacy_parameter"] == 25 and stored["watch"] is True
    assert stored["analysis_fps"] == 2 and stored["url"] == camera["url"]
    porch.locator("summary").click()
    porch.get_by_label("Privacy").fill("8")
    porch.get_by_role("button", name="Save porch").click()
    expect(porch.locator(".result")).to_contain_text("privacy_parameter 8 is even")
    page.goto(f"{url}/ui/cameras")
    expect(page.locator("tr[data-camera=hall]")).to_contain_text("from settings")

    snapshot = page.locator("tr[data-camera=hall] figure.snapshot img")
    for _ in range(WAIT_MS // 1000):  # until the hall camera's watcher has analysed a frame
        if snapshot.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(snapshot).to_have_attribute("alt", f"Latest frame of hall, blurred at privacy {PRIVACY}")
    expect(snapshot).to_have_js_property("complete", True)
    assert 0 < snapshot.evaluate("i => i.naturalWidth") <= 320
    page.get_by_role("button", name="Refresh the snapshot of hall").click()
    expect(snapshot).to_have_attribute(
        "src", re.compile(r"/ui/cameras/hall/snapshot\.jpg\?at=\d+$")
    )
    expect(snapshot).to_have_js_property("complete", True)
    shot(page, "cameras-snapshot")
    answer = page.context.request.get(f"{url}/ui/cameras/hall/snapshot.jpg")
    assert answer.headers["cache-control"] == "private, no-store"
    shown = decoded(answer.body()).astype(np.float32)
    assert max(shown.shape[:2]) == 320
    # the frame the watcher analysed, blurred at privacy 9: closer to that than to the raw photo
    raw = cv2.imread(str(FACES / "img5.jpg"))
    size = (shown.shape[1], shown.shape[0])
    blurred = PrivacyLevel(PRIVACY).blur(raw.copy()).pixels
    near = [np.abs(cv2.resize(x, size, interpolation=cv2.INTER_AREA) - shown).mean()
            for x in (blurred.astype(np.float32), raw.astype(np.float32))]  # fmt: skip
    assert near[0] < near[1], near
    by_key = requests.get(f"{url}/ui/cameras/hall/snapshot.jpg", headers=KEY, timeout=10)
    assert (by_key.status_code, by_key.json()["error"]["code"]) == (404, "snapshot_unavailable")
    nobody = requests.get(f"{url}/ui/cameras/hall/snapshot.jpg", timeout=10)
    assert nobody.status_code == 401
    # held in memory only: no picture anywhere in the service's state (the residents' own photos
    # live in DATABASE_DIR, apart)
    assert pictures_under(ui_server.state_dir) == []

    porch = page.locator("tr[data-camera=porch]")
    page.once("dialog", lambda d: d.accept())
    porch.get_by_role("button", name="Remove…").click()
    expect(porch).to_have_count(0)
    assert page.errors == [REFUSED.format("400 (BAD REQUEST)")]  # the even privacy parameter


def test_the_cameras_page_advises_the_privacy_for_the_faces_the_camera_sees(page, ui_server):
    """The hall camera shows Alice's img5.jpg: its typical face is that photo's face, and the
    advice is the function's for that width; the Analyse page's hint is the same function's."""
    url = ui_server.url
    with (FACES / "img5.jpg").open("rb") as f:
        detected = requests.post(
            f"{url}/faces/detect/{PRIVACY}", files={"file": f}, headers=KEY, timeout=60
        ).json()
    width = detected["faces"][0]["box"]["w"]
    rule = AcceptRule.load("Dlib")

    def hall_advice() -> dict:
        hall = requests.get(f"{url}/cameras/hall", headers=KEY, timeout=10)
        return hall.json()["privacy_advice"]

    until(lambda: hall_advice()["faces_seen"], "hall's watcher saw a face", WAIT_MS / 1000)
    log_in(page, url)
    page.goto(f"{url}/ui/cameras")
    cell = page.locator("tr[data-camera=hall] td.privacy-advice")
    advice = hall_advice()
    assert advice["median_face_px"] == width
    assert advice["largest_privacy_parameter"] == largest_privacy(width, rule, 51)
    expect(cell).to_contain_text(f"typical face {width} px wide")
    expect(cell).to_contain_text(f"named up to privacy {advice['largest_privacy_parameter']}")
    shot(page, "cameras-advice")
    page.goto(f"{url}/ui/analyse")
    expect(page.locator("#analyse-hint")).to_contain_text(
        f"{smallest_face(17, rule)} px wide at k = 17"
    )
    assert page.errors == []


def test_the_analyse_and_camera_forms_preselect_the_one_default(page, ui_server):
    log_in(page, ui_server.url)
    page.goto(f"{ui_server.url}/ui/analyse")
    expect(page.locator("#analyse-privacy")).to_have_value(str(DEFAULT_PRIVACY_PARAMETER))
    page.goto(f"{ui_server.url}/ui/cameras")
    expect(page.locator("#camera-privacy")).to_have_value(str(DEFAULT_PRIVACY_PARAMETER))
    assert page.errors == []


@pytest.mark.parametrize("name", PAGES)
def test_every_control_is_reached_by_tab_and_named(page, ui_server, name):
    log_in(page, ui_server.url)
    page.goto(f"{ui_server.url}/ui/{name}")
    controls = page.evaluate(MARK_CONTROLS, INTERACTIVE)
    assert len(controls) >= 7  # the navigation's six links and Log out, at least
    unnamed = [c for c in controls if not c["name"]]
    assert unnamed == [], unnamed
    reached: set[int] = set()
    for _ in range(3 * len(controls)):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.dataset.kb ?? null")
        if focused is not None:
            reached.add(int(focused))
        if len(reached) == len(controls):
            break
    missed = [c for i, c in enumerate(controls) if i not in reached]
    assert missed == [], missed
    assert page.errors == [], page.errors


@pytest.mark.parametrize("name", PAGES)
def test_text_contrast_meets_wcag_aa(page, ui_server, name):
    log_in(page, ui_server.url)
    page.goto(f"{ui_server.url}/ui/{name}")
    page.evaluate('document.querySelectorAll("details").forEach((d) => { d.open = true; })')
    texts = page.evaluate(TEXT_COLOURS)
    assert len(texts) >= 8
    poor = [(t["what"], round(contrast(t["colour"], t["background"]), 2)) for t in texts
            if contrast(t["colour"], t["background"]) < 4.5]  # fmt: skip
    assert poor == [], poor


def test_no_page_scrolls_sideways_at_phone_width(page, ui_server):
    log_in(page, ui_server.url)
    page.set_viewport_size({"width": 390, "height": 800})
    for name in PAGES:
        page.goto(f"{ui_server.url}/ui/{name}")
        page.evaluate('document.querySelectorAll("details").forEach((d) => { d.open = true; })')
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (name, width)
        shot(page, f"{name or 'dashboard'}-phone")
    assert page.errors == [], page.errors


# Every visible cell of a table body (not a whole-row message): its column's header, the label
# the cell carries and whether a label is drawn before it (ui.css).
CELL_LABELS = """() => Array.from(document.querySelectorAll("tbody td"))
  .filter((td) => td.getClientRects().length && td.colSpan === 1)
  .map((td) => ({
    header: td.closest("table").tHead.rows[0].cells[td.cellIndex].textContent,
    label: td.dataset.label ?? null,
    drawn: getComputedStyle(td, "::before").content,
  }))"""


def test_stacked_tables_label_every_cell_at_phone_width(page, ui_server):
    until(lambda: requests.get(f"{ui_server.url}/events", headers=KEY, timeout=10).json()["events"],
          "an event of the hall camera", timeout=WAIT_MS / 1000)  # fmt: skip
    log_in(page, ui_server.url)
    page.set_viewport_size({"width": 390, "height": 800})
    for name in PAGES:
        page.goto(f"{ui_server.url}/ui/{name}")
        cells = page.evaluate(CELL_LABELS)
        if name in ("", "residents", "cameras", "events"):
            assert cells, name  # tables with rows: the hall camera, the residents, its events
        unlabelled = [c for c in cells if c["label"] != c["header"] or c["drawn"] in ("none", "")]
        assert unlabelled == [], (name, unlabelled)
    page.set_viewport_size({"width": 1100, "height": 800})  # a wide table keeps its header row
    assert page.evaluate(CELL_LABELS)[0]["drawn"] in ("none", "normal")
    assert page.errors == [], page.errors


def test_events_page_says_when_there_is_nothing_to_show(page, ui_server):
    log_in(page, ui_server.url)
    page.goto(f"{ui_server.url}/ui/events?camera=nowhere")
    expect(page.locator("#events tbody")).to_have_text("No events match these filters.")


def test_dashboard_shows_frames_in_and_analysed_as_such(page, ui_server):
    log_in(page, ui_server.url)
    table = page.locator("table").first
    expect(table.locator("th").last).to_have_text("Frames in / analysed per s")
    expect(table.locator("tbody td").last).to_have_text(re.compile(r"^\d+\.\d / \d+\.\d$"))
