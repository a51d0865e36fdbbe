"""One Settings object, read from the environment (and an optional `.env` file).

Every field is documented here; docs/configuration.md is generated from these descriptions
(`python -m app config --markdown`), and a test fails when it drifts. The names in capitals are
the environment variables. An unknown name in `.env`, or settings that contradict each other,
stop the service at start-up with a one-line reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER

SAMPLE_DIR = Path("database")  # the bundled sample residents, in the working directory
MIN_API_KEY = 16  # characters: with throttled guessing, out of reach for any attacker


MAX_ANALYSIS_FPS = 30.0  # a camera's analysis_fps, however it is given (settings or API)


class CameraSettings(BaseModel):
    """One camera of `CAMERAS` given as an object (docs/cameras.md)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Device index or rtsp/rtsps/http/https URL.")
    privacy_parameter: int = Field(
        DEFAULT_PRIVACY_PARAMETER, ge=0, description="Blur kernel of the watcher (0 = none)."
    )
    watch: bool = Field(False, description="Watch the camera all the time (events, presence).")
    analysis_fps: float = Field(
        5.0, gt=0, le=MAX_ANALYSIS_FPS, description="Frames analysed per second."
    )


class ServiceGroup(BaseModel):
    """The service: where it listens and keeps its state, and who may talk to it."""

    port: int = Field(8090, description="HTTP port of `python -m app serve`.")
    host: str = Field(
        "127.0.0.1", description="Address `python -m app serve` listens on (`0.0.0.0` in Docker)."
    )
    state_dir: Path = Field(
        Path("state"),
        description="Writable folder for the SQLite embedding cache and provisioned model weights.",
    )
    database_dir: Path | None = Field(
        None,
        description="Default resident directory (`<Name>.jpg`, `<Name>/*.jpg`); unset = "
        "`<STATE_DIR>/database`, a copy of the bundled samples (`database/`) made on first run, "
        "so that enrolling never changes the checked-out files.",
    )
    galleries_dir: Path | None = Field(
        None,
        description="Folder whose direct subfolders are extra resident directories, chosen by "
        "name in the `path` part; unset = only the default gallery.",
    )
    api_key: SecretStr | None = Field(
        None,
        description="When set, every route but `/health` needs header `X-API-Key` with this value "
        "(at least 16 characters: `python -c 'import secrets; print(secrets.token_urlsafe(24))'`); "
        "wrong keys are throttled per client address (docs/security.md).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the service answers to (the `Host` header), JSON: "
        '`["face.home.lan"]`, besides IP literals, loopback names and this machine\'s own host '
        "names, always answered; a request for any other name is refused with "
        "`400 host_not_allowed`, so that a DNS-rebinding page cannot reach the service "
        "(docs/security.md).",
    )
    http_connection_limit: int = Field(
        500,
        ge=10,
        description="Open HTTP connections `serve` keeps at once (waitress's `connection_limit`); "
        "more wait in the listen backlog. Keep it under the open-file limit (`ulimit -n`).",
    )
    http_channel_timeout_s: float = Field(
        30.0,
        gt=0,
        description="An HTTP connection idle this many seconds is closed (waitress's "
        "`channel_timeout`; checked every quarter of it).",
    )
    http_read_timeout_s: float = Field(
        120.0,
        gt=0,
        description="A client must send a whole request (headers and body) within this many "
        "seconds of its first byte, or its connection is closed: slow clients cannot hold "
        "connections (a 200 MiB upload needs about 14 Mbit/s).",
    )
    max_content_length: int = Field(
        200 * 1024 * 1024, ge=1024, description="Largest accepted request body, in bytes."
    )


class RecognitionGroup(BaseModel):
    """Recognition: the models and the open-set rule."""

    recognizer: str = Field(
        "Dlib", description="Recognition model: Dlib (default) or any DeepFace model name."
    )
    detector: str = Field(
        "yunet",
        description="Face detector: `yunet` (OpenCV's YuNet CNN, vendored), `opencv` (Haar "
        "cascade) or `dlib` (HOG).",
    )
    match_threshold: float | None = Field(
        None,
        description="Fixed accept distance for every face, blur and gallery size; unset = the "
        "calibrated open-set rule (docs/recognition.md).",
    )
    analysis_fps: float = Field(
        5.0, ge=0, description="Video frames analysed per second of video; 0 = every frame."
    )
    confirm_frames: int = Field(
        2,
        ge=1,
        description="Matched analysed frames one face track needs before a resident is reported "
        "in a video (images need one).",
    )
    max_privacy_parameter: int = Field(
        51,
        ge=3,
        description="Largest accepted privacy parameter (Gaussian kernel size); at least the "
        f"default privacy parameter, {DEFAULT_PRIVACY_PARAMETER}.",
    )
    min_face_px: int = Field(
        36, ge=12, description="Smallest face side, in pixels, that the detector looks for."
    )


class MediaGroup(BaseModel):
    """Media limits: what one request may decode."""

    max_frame_pixels: int = Field(
        3840 * 2160, description="Largest frame (width x height) accepted from any source."
    )
    max_video_seconds: float = Field(900.0, description="Longest video accepted, in seconds.")
    max_video_frames: int = Field(54_000, description="Most frames decoded from one video.")
    max_decoded_pixels: int = Field(
        50_000_000_000,
        ge=1,
        description="Decoding budget of one request, frames x pixels (the default is about 15 "
        "minutes of 1080p at 25 fps); a video or camera over it is refused with "
        "`media_too_large`, up front when its header announces it.",
    )
    open_timeout_ms: int = Field(10_000, description="FFmpeg open timeout for a media source.")
    read_timeout_ms: int = Field(10_000, description="FFmpeg read timeout for a media source.")


class AnalysisGroup(BaseModel):
    """Analyses: how many run at once, for how long, and where (QUEUE_URL)."""

    analysis_workers: int = Field(
        0,
        ge=0,
        description="Analyses run at the same time; 0 = one per two CPU cores (at least 1).",
    )
    analysis_threads: int = Field(
        0,
        ge=0,
        description="Threads OpenCV may use in this process (its detector and image work); 0 = "
        "OpenCV's default, one per core. With several `worker` processes on one machine, cores "
        "divided by workers avoids oversubscription (docs/scale.md).",
    )
    analysis_queue: int = Field(
        4, ge=0, description="Requests that may wait for a worker; more are refused with 503."
    )
    request_timeout_s: float = Field(
        300.0, gt=0, description="Wall-clock limit of one analysis request, in seconds."
    )
    queue_url: str | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) of the Celery queue: `serve` sends each "
        "analysis to `python -m app worker` processes (docs/scale.md); unset or empty = analyses "
        "run in this process.",
    )


class CamerasGroup(BaseModel):
    """Cameras: camera requests, watched cameras, presence and events."""

    camera_seconds: float = Field(
        5.0, gt=0, description="How long a camera is watched when the request gives no `duration`."
    )
    camera_max_seconds: float = Field(
        60.0, gt=0, description="Longest `duration` a camera request may ask for, in seconds."
    )
    camera_stop_early: bool = Field(
        True,
        description="Stop watching a camera as soon as a resident is recognised (a request's "
        "`stop_early` overrides it).",
    )
    cameras: dict[str, str | CameraSettings] = Field(
        default_factory=dict,
        description='Named cameras, JSON: `{"desk": "0", "porch": {"url": "rtsp://user:pw@10.0.0.5'
        '/stream", "privacy_parameter": 17, "watch": true, "analysis_fps": 5}}`; a `cam_link` may '
        "be one of these names; a camera with `watch` is watched all the time (docs/cameras.md); "
        "one without `privacy_parameter` gets the default privacy parameter, "
        f"{DEFAULT_PRIVACY_PARAMETER} (docs/recognition.md).",
    )
    camera_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts a camera URL may name, JSON: `["10.0.0.5", "cam.local"]`; '
        "empty = any host. Named cameras are trusted. Redirects are never followed, so a camera "
        "cannot send FFmpeg to another host (docs/security.md).",
    )
    presence_timeout_s: float = Field(
        300.0,
        gt=0,
        description="A resident not seen on any watched camera for this many seconds has `left`.",
    )
    ui_snapshots: bool = Field(
        False,
        description="Keep each watched camera's latest analysed (already blurred) frame in memory "
        "and show it, downscaled, on the web UI's Cameras page to a logged-in session (needs "
        "`API_KEY`); never stored on disk (docs/ui.md).",
    )
    motion_threshold: float = Field(
        0.003,
        ge=0,
        lt=1,
        description="Share of a watched camera's (blurred, downscaled) pixels that must change "
        "before faces are looked for; 0 = look in every analysed frame.",
    )
    motion_hold_s: float = Field(
        2.0, ge=0, description="Faces are looked for this long after the last motion."
    )
    watch_idle_detect_s: float = Field(
        5.0,
        gt=0,
        description="Without motion, faces are still looked for this often (someone sitting "
        "still stays present).",
    )
    event_stream_clients: int = Field(
        4, ge=1, le=64, description="`GET /events/stream` connections open at the same time."
    )


class RetentionGroup(BaseModel):
    """Retention: how long what is kept stays."""

    event_retention_days: int = Field(
        30, ge=1, description="Camera events older than this many days are deleted."
    )
    negative_retention_days: int = Field(
        365,
        ge=1,
        description='Faces marked "not this resident" ("that was not me") are forgotten after '
        "this many days.",
    )
    positive_retention_days: int = Field(
        365,
        ge=1,
        description='Faces confirmed as a resident on the Review page ("this is X") are '
        "forgotten after this many days.",
    )
    audit_retention_days: int = Field(
        30, ge=1, description="Audit records older than this many days are deleted."
    )


class BusGroup(BaseModel):
    """Buses: the SIFIS-Home DHT and MQTT (Home Assistant)."""

    dht_url: str | None = Field(
        None,
        description="SIFIS-Home DHT websocket, e.g. `ws://localhost:3000/ws`; unset = no DHT.",
    )
    dht_results_uuid: str = Field(
        "Face_Recognition_Results",
        description="`topic_uuid` of the results posted on the DHT (a post replaces the previous "
        "value of the same topic_name and topic_uuid).",
    )
    dht_subscribe: bool = Field(
        False,
        description="Take analysis requests from the DHT (`SIFIS:Privacy_Aware_Face_Recognition` "
        "and `..._CAM`) and post their results; needs `DHT_URL`.",
    )
    media_dir: Path | None = Field(
        None,
        description="Folder the `file_name` of DHT requests is looked up in (nothing outside it "
        "is ever opened); unset = DHT file requests are refused.",
    )
    mqtt_url: SecretStr | None = Field(
        None,
        description="MQTT broker, `mqtt://[user:password@]host[:1883]` or `mqtts://...` (TLS); "
        "unset = no MQTT.",
    )
    mqtt_ca_file: Path | None = Field(
        None, description="CA bundle for `mqtts://` brokers; unset = the system's CAs."
    )
    mqtt_topic_prefix: str = Field(
        "face_recognition", description="First level of every MQTT topic this service publishes."
    )
    mqtt_discovery_prefix: str = Field(
        "homeassistant",
        description="Home Assistant MQTT discovery prefix; empty = no discovery messages.",
    )
    publish_http_results: bool = Field(
        True,
        description="Also publish the results of HTTP requests on the configured buses "
        "(`analytics_api` forwards the HTTP reply itself: set `false` behind it).",
    )
    bus_progress_interval_s: float = Field(
        5.0,
        ge=0,
        description="Least time between two progress messages of one analysis "
        "(`..._Frame_Results` on the DHT); 0 = no progress messages.",
    )
    outbox_max_messages: int = Field(
        10_000,
        ge=10,
        description="Messages the outbox keeps per bus while it is unreachable; when full, the "
        "oldest are dropped (and logged).",
    )
    bus_retry_max_s: float = Field(
        30.0, gt=0, description="Longest wait between two reconnection or resend attempts."
    )


class EnrollmentGroup(BaseModel):
    """Enrollment: the quality gate of residents' photos."""

    enroll_min_face_px: int = Field(
        80, ge=20, description="Smallest face side, in pixels, accepted in an enrollment image."
    )
    enroll_min_sharpness: float = Field(
        100.0,
        ge=0,
        description="Least sharpness (variance of the Laplacian of the face scaled to 128 px) of "
        "an enrollment image; sharp photos score about 200-1300.",
    )
    enroll_duplicate_ratio: float = Field(
        0.08,
        ge=0,
        lt=1,
        description="An enrollment image whose embedding is closer to an enrolled one than this "
        "fraction of the verification threshold (no blur) is a near-duplicate and refused.",
    )
    enroll_max_side: int = Field(
        1024, ge=160, description="Enrollment images are downscaled to at most this many pixels."
    )


class ImageUrlGroup(BaseModel):
    """Image URLs: single-image queries that name a URL instead of an upload."""

    image_urls: bool = Field(
        False,
        description="Accept images by URL (`image_url` fields) on the residents and faces routes.",
    )
    image_url_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts an image URL may name, JSON: `["photos.example.org"]`; empty = any '
        "host. Loopback, private, link-local and the DHT's addresses are always refused.",
    )
    image_url_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest image fetched from a URL, in bytes."
    )
    image_url_timeout_s: float = Field(
        10.0, gt=0, description="Wall-clock limit of fetching one image URL, in seconds."
    )


# by concern, in the order of docs/configuration.md; the environment names stay flat
GROUPS = (
    ServiceGroup,
    RecognitionGroup,
    MediaGroup,
    AnalysisGroup,
    CamerasGroup,
    RetentionGroup,
    BusGroup,
    EnrollmentGroup,
    ImageUrlGroup,
)


class Settings(
    ServiceGroup,
    RecognitionGroup,
    MediaGroup,
    AnalysisGroup,
    CamerasGroup,
    RetentionGroup,
    BusGroup,
    EnrollmentGroup,
    ImageUrlGroup,
    BaseSettings,
):
    """Runtime configuration, grouped by concern (the bases above). Environment variable names
    are the field names in capitals. Frozen: nothing changes it after start."""

    model_config = SettingsConfigDict(env_file=".env", extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.dht_subscribe and not self.dht_url:
            raise ValueError("DHT_SUBSCRIBE needs DHT_URL, the DHT websocket to take requests from")
        if self.max_privacy_parameter < DEFAULT_PRIVACY_PARAMETER:
            raise ValueError(
                "MAX_PRIVACY_PARAMETER must be at least the default privacy parameter, "
                f"{DEFAULT_PRIVACY_PARAMETER}"
            )
        if self.camera_seconds > self.camera_max_seconds:
            raise ValueError("CAMERA_SECONDS must not be longer than CAMERA_MAX_SECONDS")
        if self.media_dir is not None and not self.dht_subscribe:
            raise ValueError("MEDIA_DIR is only used with DHT_SUBSCRIBE=true")
        if self.api_key is not None and 0 < len(self.api_key.get_secret_value()) < MIN_API_KEY:
            raise ValueError(
                f"API_KEY must be at least {MIN_API_KEY} characters (make one with `python -c "
                "'import secrets; print(secrets.token_urlsafe(24))'`)"
            )
        return self

    @property
    def camera_configs(self) -> dict[str, CameraSettings]:
        """CAMERAS with the plain `"name": "url"` entries as on-demand objects."""
        return {
            name: c if isinstance(c, CameraSettings) else CameraSettings(url=c)
            for name, c in self.cameras.items()
        }

    @property
    def residents_dir(self) -> Path:
        """The default gallery: DATABASE_DIR, else the state copy of the samples."""
        return self.database_dir or self.state_dir / "database"

    @property
    def weights_home(self) -> Path:
        """DEEPFACE_HOME: DeepFace reads weights from `<this>/.deepface/weights`."""
        return self.state_dir / "models"

    @property
    def state_db(self) -> Path:
        """SQLite file for the embedding cache and the audit log (one migration list)."""
        return self.state_dir / "state.sqlite3"

    @property
    def upload_dir(self) -> Path:
        """Private folder (mode 0700) for uploads in flight; emptied at start-up."""
        return self.state_dir / "uploads"

    @property
    def workers(self) -> int:
        """One analysis already keeps more than one core busy (OpenCV's detector runs in
        parallel): on 2 cores, 2 workers gave less throughput than 1 (bench/http_latency.py)."""
        return self.analysis_workers or max(1, (os.cpu_count() or 1) // 2)


def problems(error: ValidationError) -> str:
    """A ValidationError of Settings as one line: `NAME: what is wrong; ...`."""
    parts = []
    for e in error.errors():
        name = ".".join(str(p) for p in e["loc"]).upper()
        message = "unknown setting" if e["type"] == "extra_forbidden" else e["msg"]
        parts.append(f"{name}: {message}" if name else message.removeprefix("Value error, "))
    return "; ".join(parts)


def markdown() -> str:
    """docs/configuration.md: every setting, its default and its description, by concern."""
    return _INTRO + "".join(_section(group) for group in GROUPS)


def _section(group: type[BaseModel]) -> str:
    """A group's table, under its docstring's "Title: what it holds"."""
    title, _, about = (group.__doc__ or "").partition(": ")
    rows = [
        f"| `{name.upper()}` | {_default(field.default, field.default_factory)} | "
        f"{field.description} |"
        for name, field in group.model_fields.items()
    ]
    head = f"\n## {title}\n\n{about[:1].upper()}{about[1:]}\n\n"
    return head + "| Variable | Default | Meaning |\n|---|---|---|\n" + "\n".join(rows) + "\n"


_INTRO = """# Configuration

<!-- Generated from the field descriptions in app/config.py by
     `python -m app config --markdown > docs/configuration.md`;
     tests/unit/test_docs.py fails when this file drifts from them. -->

Every setting is an environment variable (or a line `NAME=value` in a `.env` file in the
working directory). Lists and mappings are JSON. An unknown name in `.env`, or settings that
contradict each other (`DHT_SUBSCRIBE` without `DHT_URL`, say), stop every command at start-up
with a one-line reason and exit status 2.
"""


def _default(default: Any, factory: Any) -> str:
    value = factory() if factory is not None else default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict | list):
        return f"`{value!r}`".replace("'", '"')
    return f"`{value}`"
