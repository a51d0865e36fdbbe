"""Camera links: what a request may name as a camera (a device index, a configured name or an
rtsp/rtsps/http/https URL on an allowed host), validated into a `CameraTarget` whose label is safe
to publish."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.errors import CameraHostForbidden, CameraNotFound, InvalidCamLink
from app.pipeline.numerals import plain_decimal

_CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https")
_MAX_DEVICE_INDEX = 63


@dataclass(frozen=True)
class CameraPolicy:
    """Which cameras a request may name: configured names and, for ad-hoc URLs, allowed hosts."""

    names: Mapping[str, str] = field(default_factory=dict)  # name -> device index or URL
    hosts: frozenset[str] = frozenset()  # empty: any host


@dataclass(frozen=True)
class CameraTarget:
    """A validated camera: a local device index or a network URL, and a label safe to publish
    (a name, an index or `scheme://host:port`; never credentials or a URL path)."""

    device: int | None
    url: str | None
    label: str


def resolve_cam_link(link: str, policy: CameraPolicy) -> CameraTarget:
    """Turn a request's `cam_link` into a CameraTarget, or refuse it with a typed error."""
    if link in policy.names:
        return _camera_target(policy.names[link], label=link, hosts=frozenset())
    if plain_decimal(link) is not None or "://" in link or ":" in link:
        return _camera_target(link, label=None, hosts=policy.hosts)
    raise CameraNotFound(f"no camera is configured under the name {link[:40]!r}")


def _camera_target(link: str, label: str | None, hosts: frozenset[str]) -> CameraTarget:
    index = plain_decimal(link)
    if index is not None:
        if index > _MAX_DEVICE_INDEX:
            raise CameraNotFound(f"device index {index} is out of range")
        return CameraTarget(index, None, label or str(index))
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError as exc:
        raise InvalidCamLink("the camera link is not a valid URL") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _CAMERA_SCHEMES:
        raise InvalidCamLink(
            "a camera link must be a device index, a configured camera name or an "
            f"{', '.join(_CAMERA_SCHEMES)} URL"
        )
    if not host or any(c.isspace() or ord(c) < 32 for c in link):
        raise InvalidCamLink("the camera URL has no host or contains control characters")
    if hosts and host not in hosts:
        raise CameraHostForbidden(f"camera host {host!r} is not in the configured allowlist")
    return CameraTarget(None, link, label or f"{scheme}://{host}" + (f":{port}" if port else ""))
