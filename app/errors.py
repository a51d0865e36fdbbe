"""Application errors with stable string codes. No HTTP here: shells map codes to statuses."""

from __future__ import annotations


class AppError(Exception):
    """Base class: `code` is stable and machine-readable, `message` is for people."""

    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPrivacyParameter(AppError):
    code = "invalid_privacy_parameter"


class UnsupportedMedia(AppError):
    """The bytes are not an image or video container this service accepts."""

    code = "unsupported_media"


class UndecodableMedia(AppError):
    """The container was recognised but could not be decoded (corrupt, truncated, empty)."""

    code = "undecodable_media"


class MediaTooLarge(AppError):
    """Resolution, duration or frame count over the configured limits."""

    code = "media_too_large"


class GalleryNotFound(AppError):
    code = "gallery_not_found"


class ModelUnavailable(AppError):
    """A configured model cannot run here (weights missing, backend not installed)."""

    code = "model_unavailable"
