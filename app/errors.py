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


class GalleryUnreadable(AppError):
    """The resident directory itself cannot be listed (permissions, I/O error)."""

    code = "gallery_unreadable"


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


class CameraExists(AppError):
    """`POST /cameras` with a name that is already a camera."""

    code = "camera_exists"


class CameraReadOnly(AppError):
    """A camera of the CAMERAS setting: changed in the settings, not through the API."""

    code = "camera_read_only"


class CameraUnavailable(AppError):
    """The camera refused the connection or sent something that is not video."""

    code = "camera_unavailable"


class CameraTimeout(AppError):
    """The camera did not answer within the open timeout, or stopped sending frames."""

    code = "camera_timeout"


class AnalysisTimeout(AppError):
    """An analysis ran past the per-request wall-clock limit."""

    code = "analysis_timeout"


class ClientGone(AppError):
    """The client closed its connection before the answer: its analysis was stopped."""

    code = "client_gone"


class AnalysisInterrupted(AppError):
    """The analysis stopped twice without an answer (a crash; a queue worker that died)."""

    code = "analysis_interrupted"


class ServiceBusy(AppError):
    """Every analysis worker is busy and the waiting queue is full."""

    code = "busy"


class NotReady(AppError):
    """Models or the default gallery are still loading."""

    code = "not_ready"


class ResidentNotFound(AppError):
    code = "resident_not_found"


class ResidentExists(AppError):
    """A new resident name (enroll, rename) is already taken in that gallery."""

    code = "resident_exists"


class ResidentIsLink(AppError):
    """The resident's folder or photo is a symbolic link, which the service never follows."""

    code = "resident_is_link"


class InvalidResidentName(AppError):
    """A resident name that could not be a plain folder name (`../x`, `.hidden`, `a/b`, ...)."""

    code = "invalid_resident_name"


class InvalidMetadata(AppError):
    """Resident metadata that is not a JSON object."""

    code = "invalid_metadata"


class MetadataTooLarge(AppError):
    code = "metadata_too_large"


class ImageNotFound(AppError):
    """No image of that ID belongs to the resident."""

    code = "image_not_found"


class NoFaceFound(AppError):
    """An image that must show a face (verification) shows none."""

    code = "no_face_found"


class ImageUrlsDisabled(AppError):
    code = "image_urls_disabled"


class ImageUrlForbidden(AppError):
    """An image URL with a refused scheme, host or address (loopback, private, the DHT...)."""

    code = "image_url_forbidden"


class ImageUrlUnavailable(AppError):
    """The image URL could not be fetched (DNS, refused, HTTP error, redirect loop)."""

    code = "image_url_unavailable"


class ImageUrlTimeout(AppError):
    code = "image_url_timeout"


class ImageUrlTooLarge(AppError):
    code = "image_url_too_large"


class EventNotFound(AppError):
    """No kept camera event has that id (never stored, or deleted by retention)."""

    code = "event_not_found"


class NotARecognition(AppError):
    """Feedback on an event that named nobody, or that kept no embedding."""

    code = "not_a_recognition"


class NegativeNotFound(AppError):
    code = "negative_not_found"


class SnapshotUnavailable(AppError):
    """No camera snapshot to show: UI_SNAPSHOTS is off, the request is not a logged-in UI
    session, or the camera's watcher has not analysed a frame yet."""

    code = "snapshot_unavailable"


class PositiveNotFound(AppError):
    code = "positive_not_found"


class FaceNotKept(AppError):
    """ "This is X" on an event that kept no usable face (a `left` or `unrecognisable` event, one
    stored before faces were kept, or one whose face was made with another model)."""

    code = "face_not_kept"


class PositiveRejected(AppError):
    """The face an event kept fails the enrollment quality rules: `reason` is one of
    app/pipeline/quality.py's reason codes."""

    code = "positive_rejected"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
