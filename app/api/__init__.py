"""The JSON API shell: one blueprint per resource, and the request checks (host, origin, key,
errors, audit, headers) that every route of the web app passes, the UI's too. The web app
(app/web.py) composes this shell and the UI's.

The views only validate, call the use cases `services` built and shape replies; models are never
built here. Without `services` the app starts in the loading state (`/health` answers 503,
analysis routes 503 `not_ready`) until `runtime_of(app).ready(services)` is called, which is how
`serve` lets the port open before the models are loaded. `stores` (else opened here) are those the
services will use: requests are audited from the first one.
"""

from __future__ import annotations

from flask import Flask

from app.api import (
    allowed_hosts,
    audit,
    auth,
    camera,
    cameras,
    check_directory,
    errors,
    events,
    faces,
    feedback,
    headers,
    ops,
    progress,
    residents,
    same_origin,
)
from app.api.json_bodies import UnicodeJSONProvider
from app.api.runtime import Runtime, install
from app.api.uploads import UPLOAD_DIR_KEY, UploadRequest, prepare_upload_dir
from app.config import Settings
from app.services import Services, Stores


def install_api(
    app: Flask, settings: Settings, services: Services | None, stores: Stores | None
) -> None:
    """The request checks every route of the web app passes, and the API's blueprints."""
    app.request_class = UploadRequest
    app.json = UnicodeJSONProvider(app)
    app.url_map.merge_slashes = False  # camera URLs in the path keep their `//`
    prepare_upload_dir(settings.upload_dir)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_content_length, **{UPLOAD_DIR_KEY: settings.upload_dir}
    )
    stores = services.stores if services else stores or Stores.open(settings)
    install(app, Runtime(settings, stores.audit, services))
    allowed_hosts.register(app, settings.allowed_hosts)  # the checks run in this order
    same_origin.register(app)
    auth.register(app, settings.api_key)
    errors.register(app)
    audit.register(app)
    headers.register(app)
    for module in (
        check_directory,
        camera,
        ops,
        residents,
        faces,
        cameras,
        events,
        feedback,
        progress,
    ):
        app.register_blueprint(module.bp)
