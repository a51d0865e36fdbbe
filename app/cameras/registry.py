"""The cameras: those of the CAMERAS setting (read-only here) and those added through the API
(persisted in SQLite). Every URL passes the rules of a request's `cam_link` (scheme, host
allowlist for API cameras); credentials stay inside: `shown_url` is what the API may show.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from app.config import MAX_ANALYSIS_FPS, Settings
from app.errors import (
    CameraExists,
    CameraNotFound,
    CameraReadOnly,
    InvalidCamLink,
    InvalidParameter,
)
from app.pipeline.cam_links import CameraPolicy, CameraTarget, resolve_cam_link
from app.pipeline.privacy import PrivacyLevel
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER
from app.store.cameras import CameraStore, StoredCamera

Origin = Literal["config", "api"]  # where a camera is configured: the settings or the API
CONFIG: Origin = "config"
API: Origin = "api"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
FIELDS = frozenset({"url", "privacy_parameter", "watch", "analysis_fps"})


@dataclass(frozen=True)
class Camera:
    name: str
    url: str  # as configured, credentials included: never shown, never logged
    privacy_parameter: int
    watch: bool
    analysis_fps: float
    origin: Origin

    @property
    def shown_url(self) -> str:
        """The URL without credentials, query or fragment (which may hold tokens)."""
        if self.url.isdigit():
            return self.url
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    @property
    def target(self) -> CameraTarget:
        """The validated camera, labelled with its name (already checked when it was added)."""
        return resolve_cam_link(self.name, CameraPolicy({self.name: self.url}))


class CameraRegistry:
    def __init__(self, settings: Settings, store: CameraStore) -> None:
        self._settings, self._store = settings, store
        self._hosts = frozenset(h.lower() for h in settings.camera_hosts)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._config = {
            name: self._checked(name, c.model_dump(), CONFIG, trusted=True)
            for name, c in settings.camera_configs.items()
        }

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every change made through the API."""
        self._listeners.append(listener)

    def all(self) -> list[Camera]:
        stored = [self._from_store(c) for c in self._store.all() if c.name not in self._config]
        return sorted([*self._config.values(), *stored], key=lambda c: c.name)

    def get(self, name: str) -> Camera:
        for camera in self.all():
            if camera.name == name:
                return camera
        raise CameraNotFound(f"no camera is configured under the name {name[:40]!r}")

    def urls(self) -> Mapping[str, str]:
        """name -> URL or device index: the names a request's `cam_link` may use."""
        return {c.name: c.url for c in self.all()}

    def add(self, body: Mapping[str, Any]) -> Camera:
        name = body.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise InvalidParameter(
                "name must be 1-64 letters, digits, `_` or `-`, starting with a letter or digit"
            )
        fields = {k: v for k, v in body.items() if k != "name"}
        if "url" not in fields:
            raise InvalidParameter("url is required")
        camera = self._checked(name, {"watch": False, "analysis_fps": 5.0, **fields}, API)
        with self._lock:
            if name in self._config or not self._store.add(_stored(camera)):
                raise CameraExists(f"a camera named {name!r} exists already")
        self._changed()
        return camera

    def update(self, name: str, body: Mapping[str, Any]) -> Camera:
        with self._lock:
            current = self._editable(name)
            fields = {k: getattr(current, k) for k in FIELDS} | dict(body)
            camera = self._checked(name, fields, API)
            self._store.update(_stored(camera))
        self._changed()
        return camera

    def remove(self, name: str) -> Camera:
        with self._lock:
            camera = self._editable(name)
            self._store.remove(name)
        self._changed()
        return camera

    def _editable(self, name: str) -> Camera:
        camera = self.get(name)
        if camera.origin == CONFIG:
            raise CameraReadOnly(f"camera {name!r} comes from the CAMERAS setting; change it there")
        return camera

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def _checked(
        self, name: str, fields: Mapping[str, Any], origin: Origin, trusted: bool = False
    ) -> Camera:
        unknown = set(fields) - FIELDS
        if unknown:
            raise InvalidParameter(f"unknown camera field(s): {', '.join(sorted(unknown))}")
        url, watch, fps = fields.get("url"), fields.get("watch"), fields.get("analysis_fps")
        if not isinstance(url, str) or not url:
            raise InvalidParameter("url must be a device index or a camera URL")
        if not url.isdigit() and "://" not in url:
            raise InvalidCamLink("url must be a device index or an rtsp, rtsps, http or https URL")
        hosts = frozenset() if trusted else self._hosts
        resolve_cam_link(url, CameraPolicy({}, hosts))  # the rules of a request's cam_link
        if not isinstance(watch, bool):
            raise InvalidParameter("watch must be true or false")
        if isinstance(fps, bool) or not isinstance(fps, int | float) or not math.isfinite(fps):
            raise InvalidParameter("analysis_fps must be a number")
        if not 0 < fps <= MAX_ANALYSIS_FPS:
            raise InvalidParameter(f"analysis_fps must be above 0 and at most {MAX_ANALYSIS_FPS}")
        raw_privacy = fields.get("privacy_parameter", DEFAULT_PRIVACY_PARAMETER)
        if isinstance(raw_privacy, bool) or not isinstance(raw_privacy, int):
            raise InvalidParameter("privacy_parameter must be an integer")
        privacy = PrivacyLevel.parse(raw_privacy, self._settings.max_privacy_parameter)
        return Camera(name, url, privacy.kernel, watch, float(fps), origin)

    @staticmethod
    def _from_store(c: StoredCamera) -> Camera:
        return Camera(c.name, c.url, c.privacy_parameter, c.watch, c.analysis_fps, API)


def _stored(c: Camera) -> StoredCamera:
    return StoredCamera(c.name, c.url, c.privacy_parameter, c.watch, c.analysis_fps)
