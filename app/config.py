"""One Settings object, read from the environment (and an optional `.env` file).

Every field is documented here and in README's configuration table; the names in capitals are the
environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Environment variable names are the field names in capitals."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    port: int = Field(8090, description="HTTP port of `python -m app serve`.")
    database_dir: Path = Field(
        Path("database"), description="Default resident directory (`<Name>.jpg`, `<Name>/*.jpg`)."
    )
    state_dir: Path = Field(
        Path("state"),
        description="Writable folder for the SQLite embedding cache and provisioned model weights.",
    )
    recognizer: str = Field(
        "Dlib", description="Recognition model: Dlib (default) or any DeepFace model name."
    )
    detector: str = Field(
        "opencv", description="Face detector: `opencv` (Haar cascade) or `dlib` (HOG)."
    )
    match_threshold: float | None = Field(
        None,
        description="Fixed accept distance for every privacy level; unset = calibrated table.",
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
        51, ge=3, description="Largest accepted privacy parameter (Gaussian kernel size)."
    )
    min_face_px: int = Field(
        36, ge=12, description="Smallest face side, in pixels, that the detector looks for."
    )
    max_frame_pixels: int = Field(
        3840 * 2160, description="Largest frame (width x height) accepted from any source."
    )
    max_video_seconds: float = Field(900.0, description="Longest video accepted, in seconds.")
    max_video_frames: int = Field(54_000, description="Most frames decoded from one video.")
    open_timeout_ms: int = Field(10_000, description="FFmpeg open timeout for a media source.")
    read_timeout_ms: int = Field(10_000, description="FFmpeg read timeout for a media source.")
    host: str = Field(
        "127.0.0.1", description="Address `python -m app serve` listens on (`0.0.0.0` in Docker)."
    )
    api_key: SecretStr | None = Field(
        None,
        description="When set, every route but `/health` needs header `X-API-Key` with this value.",
    )
    galleries_dir: Path | None = Field(
        None,
        description="Folder whose direct subfolders are extra resident directories, chosen by "
        "name in the `path` part; unset = only the default gallery.",
    )
    max_content_length: int = Field(
        200 * 1024 * 1024, ge=1024, description="Largest accepted request body, in bytes."
    )
    analysis_workers: int = Field(
        0,
        ge=0,
        description="Analyses run at the same time; 0 = one per two CPU cores (at least 1).",
    )
    analysis_queue: int = Field(
        4, ge=0, description="Requests that may wait for a worker; more are refused with 503."
    )
    request_timeout_s: float = Field(
        300.0, gt=0, description="Wall-clock limit of one analysis request, in seconds."
    )
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
    cameras: dict[str, str] = Field(
        default_factory=dict,
        description='Named cameras, JSON: `{"porch": "rtsp://user:pw@10.0.0.5/stream", '
        '"desk": "0"}`; a `cam_link` may be one of these names.',
    )
    camera_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts a camera URL may name, JSON: `["10.0.0.5", "cam.local"]`; '
        "empty = any host. Named cameras are trusted.",
    )
    audit_retention_days: int = Field(
        30, ge=1, description="Audit records older than this many days are deleted."
    )

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
