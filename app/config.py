"""One Settings object, read from the environment (and an optional `.env` file).

Every field is documented here and in README's configuration table; the names in capitals are the
environment variables.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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

    @property
    def weights_home(self) -> Path:
        """DEEPFACE_HOME: DeepFace reads weights from `<this>/.deepface/weights`."""
        return self.state_dir / "models"

    @property
    def cache_db(self) -> Path:
        return self.state_dir / "embeddings.sqlite3"
