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


class InvalidParameter(AppError):
    """A request parameter (an ID, a file name, a duration) is malformed."""

    code = "invalid_parameter"


class InvalidCamLink(AppError):
    """A camera link with a refused scheme (`file:`, `concat:`, ...) or no host."""

    code = "invalid_cam_link"


class CameraNotFound(AppError):
    """A camera name that is neither configured nor a device index."""

    code = "camera_not_found"


class CameraHostForbidden(AppError):
    """A camera URL whose host is not in the configured allowlist."""

    code = "camera_host_forbidden"


class CameraUnavailable(AppError):
    """The camera refused the connection or sent something that is not video."""

    code = "camera_unavailable"


class CameraTimeout(AppError):
    """The camera did not answer within the open timeout, or stopped sending frames."""

    code = "camera_timeout"


class AnalysisTimeout(AppError):
    """An analysis ran past the per-request wall-clock limit."""

    code = "analysis_timeout"


class ServiceBusy(AppError):
    """Every analysis worker is busy and the waiting queue is full."""

    code = "busy"


class NotReady(AppError):
    """Models or the default gallery are still loading."""

    code = "not_ready"
