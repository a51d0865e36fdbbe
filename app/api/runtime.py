"""What the views share: settings, the audit log and, once loaded, the services."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from app.config import Settings
from app.errors import NotReady
from app.services import Services
from app.store.audit import AuditLog

_KEY = "pafr"


@dataclass
class Runtime:
    settings: Settings
    audit: AuditLog
    loaded: Services | None = None  # set by `ready()` once models and default gallery are built

    @property
    def services(self) -> Services:
        if self.loaded is None:
            raise NotReady("models and the resident directory are still loading; retry shortly")
        return self.loaded

    def ready(self, services: Services) -> None:
        self.loaded = services


def install(app: Flask, runtime: Runtime) -> None:
    app.extensions[_KEY] = runtime


def runtime_of(app: Flask) -> Runtime:
    return app.extensions[_KEY]


def runtime() -> Runtime:
    """The Runtime of the app handling the current request."""
    return runtime_of(current_app)
