"""The web UI: server-rendered pages (Jinja) at /ui/ with one plain script (static/ui.js, plus
one for each page that needs more: residents.js, cameras.js, events.js, review.js, analyse.js)
that calls the JSON routes with the page's CSRF token. No build step, nothing fetched from
elsewhere; pages show names, numbers and times; the only pictures are those of
app/ui/pictures.py (docs/ui.md).

With API_KEY set, /ui/login exchanges the key for a session cookie (app/api/sessions.py)."""

from __future__ import annotations

import time
from collections.abc import Container
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse  # what `redirect` answers

from app import read_models as read
from app.api.auth import (
    client,
    expected_key,
    failures,
    key_matches,
    refuse_if_throttled,
    session,
    sessions,
)
from app.api.errors import TooManyFailures
from app.api.params import EVENT_FILTERS, event_filter
from app.api.runtime import runtime
from app.api.sessions import COOKIE, LIFETIME_S
from app.domain import EVENT_TYPES
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER, PRIVACY_CHOICES
from app.sifis import event_fields
from app.ui import pictures

bp = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui/static",
)
bp.register_blueprint(pictures.bp)
RECENT = 50  # events on the Events and Review pages


@bp.get("/")
def root() -> BaseResponse:
    return redirect(url_for("ui.dashboard"), 302)


@bp.route("/ui/login", methods=["GET", "POST"])
def login() -> tuple[str, int] | BaseResponse:
    if not current_app.config["PAFR_LOGIN_REQUIRED"]:
        return redirect(url_for("ui.dashboard"), 303)
    status = 200
    if request.method == "POST":
        try:
            refuse_if_throttled()
        except TooManyFailures as exc:
            page = render_template("login.html", wait=exc.retry_after_s)
            return Response(page, 429, {"Retry-After": str(exc.retry_after_s)})
        given = request.form.get("api_key", "").encode()
        if key_matches(given, expected_key(runtime().settings.api_key)):
            opened = sessions().open()
            response = redirect(url_for("ui.dashboard"), 303)
            response.set_cookie(
                COOKIE,
                opened.token,
                max_age=LIFETIME_S,
                path="/",
                secure=request.is_secure,
                httponly=True,
                samesite="Strict",
            )
            return response
        failures().failed(client(), "failed UI login")
        status = 401
    return render_template("login.html", failed=status == 401), status


@bp.post("/ui/logout")
def logout() -> BaseResponse:
    found = session()
    sessions().close(found.token if found else None)
    response = redirect(url_for("ui.login"), 303)
    response.delete_cookie(COOKIE, path="/")
    return response


@bp.get("/ui/")
def dashboard() -> str:
    loaded = runtime().loaded
    if loaded is None:
        return _page("dashboard.html", ready=False)
    s = loaded.settings
    return _page(
        "dashboard.html",
        ready=True,
        models={"detector": s.detector, "recognizer": s.recognizer},
        cameras=[read.camera_view(loaded, c) for c in loaded.cameras.all()],
        residents=len(read.residents(loaded)),
        present=loaded.watching.presence.present(),
        newest=read.newest_event_id(loaded),
    )


@bp.get("/ui/residents")
def residents() -> str:
    return _page("residents.html", residents=read.residents_with_negatives(runtime().services))


@bp.get("/ui/analyse")
def analyse() -> str:
    settings, loaded = runtime().settings, runtime().loaded
    choices = [k for k in PRIVACY_CHOICES if k <= settings.max_privacy_parameter]
    # the narrowest face named at each blur, from the rule (none while the models load)
    needs = [(k, loaded.recognition.smallest_face(k)) for k in choices if k] if loaded else []
    return _page(
        "analyse.html", choices=choices, needs=needs, default_privacy=DEFAULT_PRIVACY_PARAMETER
    )


@bp.get("/ui/cameras")
def cameras() -> str:
    services = runtime().services
    listed = services.cameras.all()
    shown = pictures.shown()
    return _page(
        "cameras.html",
        cameras=[read.camera_view(services, c) for c in listed],
        snapshots={c.name for c in listed if shown and services.watching.has_snapshot(c.name)},
        default_privacy=DEFAULT_PRIVACY_PARAMETER,
    )


@bp.get("/ui/events")
def events() -> str:
    services, query = runtime().services, event_filter(request.args, RECENT)
    return _page(
        "events.html",
        events=[event_fields(e) for e in read.recent_events(services, query)],
        query=query,
        chosen={f: request.args.get(f, "") for f in EVENT_FILTERS},
        newest=read.newest_event_id(services),
        cameras=sorted(c.name for c in services.cameras.all()),
        residents=[r.name for r in read.residents(services)],
        types=EVENT_TYPES,
    )


@bp.get("/ui/review")
def review() -> str:
    services = runtime().services
    crops: Container[int] = services.watching.crops if pictures.shown() else frozenset()
    rows, positives = read.review(services, RECENT, crops)
    return _page(
        "review.html",
        rows=rows,
        residents=[name for name, _ in positives],
        positives=positives,
    )


def _page(template: str, **context: Any) -> str:
    found = session()
    return render_template(
        template,
        csrf=found.csrf if found else "",
        logged_in=found is not None,
        page=request.endpoint,
        **context,
    )


@bp.app_template_filter("when")
def when(epoch: float | None) -> str:
    """Local time of an epoch timestamp, for people."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else ""
