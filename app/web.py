"""The web app: Flask composed above its two shells, the JSON API (app/api) and the web UI
(app/ui, at / and /ui/). Neither shell imports the other's routes; both read the services
(app/read_models.py for what they show)."""

from __future__ import annotations

from flask import Flask

from app.api import install_api
from app.config import Settings
from app.services import Services, Stores
from app.ui import bp as ui


def create_app(
    settings: Settings, services: Services | None = None, stores: Stores | None = None
) -> Flask:
    """See app/api/__init__.py for `services` (None: loading) and `stores`."""
    app = Flask(__name__, static_folder=None)
    install_api(app, settings, services, stores)
    app.register_blueprint(ui)
    return app
