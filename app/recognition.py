"""Recognition over the loaded models: galleries by allowlisted name, analyses of files and
cameras, single-image queries, and the enrollment embedding that galleries and residents share.

Built once by `Services.build` (app/services.py); the shells reach it through the analysis use
case (app/analyses.py), the residents package or, for single-image queries, directly.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.config import Settings
from app.domain import AnalysisResult, Box
from app.errors import GalleryNotFound
from app.pipeline import probe
from app.pipeline.analyze import Analyzer, FaceMatch
from app.pipeline.cam_links import CameraPolicy, CameraTarget, resolve_cam_link
from app.pipeline.camera_source import CameraSource
from app.pipeline.file_sources import open_media
from app.pipeline.gallery import (
    ConfirmedFaces,
    EmbeddingCache,
    Enrollment,
    Gallery,
    LabelledFaces,
)
from app.pipeline.media import MediaLimits, decode_image
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.privacy_advice import largest_privacy, smallest_face
from app.pipeline.progress import Progress
from app.pipeline.quality import QualityGate

log = logging.getLogger(__name__)

# What a request's `path` may say to mean the default gallery (the SIFIS original's container path).
DEFAULT_GALLERY_NAMES = frozenset({"", "database", "/app/database"})
_GALLERY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def gallery_label(name: str) -> str:
    """How audit records name the gallery a request's `path` chose: `default` or its name."""
    name = name.strip()
    return "default" if name in DEFAULT_GALLERY_NAMES else name


@dataclass
class Recognition:
    settings: Settings
    analyzer: Analyzer
    limits: MediaLimits
    cache: EmbeddingCache
    quality_gate: QualityGate
    cameras: Callable[[], Mapping[str, str]] | None  # named cameras; None: CAMERAS
    negatives: LabelledFaces | None  # faces marked "not this resident"; None: none
    positives: ConfirmedFaces | None  # faces confirmed as a resident ("this is X"); None: none
    _galleries: dict[Path, Gallery] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def privacy(self, raw: str | int) -> PrivacyLevel:
        return PrivacyLevel.parse(raw, self.settings.max_privacy_parameter)

    def largest_privacy(self, face_px: float) -> int | None:
        """The largest privacy parameter this service takes at which a face `face_px` wide can
        still be named (app/pipeline/privacy_advice.py); None if it cannot be at all."""
        return largest_privacy(face_px, self.analyzer.rule, self.settings.max_privacy_parameter)

    def smallest_face(self, kernel: int) -> int | None:
        """The narrowest face (px) that can still be named at privacy parameter `kernel`."""
        return smallest_face(kernel, self.analyzer.rule)

    def enroll(self, path: Path) -> dict[str, Enrollment]:
        """Embed an enrollment photo's single face (unblurred), or say why it cannot be used."""
        try:
            frame = PrivacyLevel(0).blur(decode_image(path, self.limits))
        except Exception as exc:  # any unreadable photo is skipped, never fatal to the gallery
            reason = f"unreadable image: {getattr(exc, 'message', exc)}"
            return {p.model_id: Enrollment(None, reason) for p in self.analyzer.embedder.profiles}
        return self.analyzer.enroll(frame)

    def gallery(self, directory: Path) -> Gallery:
        """The gallery of a resident directory, built on first use and refreshed on each call."""
        directory = directory.resolve()
        if not directory.is_dir():
            raise GalleryNotFound(f"resident directory {directory.name!r} does not exist")
        with self._lock:
            gallery = self._galleries.get(directory)
            if gallery is None:
                gallery = Gallery(
                    directory,
                    self.enroll,
                    tuple(p.model_id for p in self.analyzer.embedder.profiles),
                    self.cache,
                    self.negatives,
                    self.positives,
                )
                self._galleries[directory] = gallery
        known = set(gallery.report.skipped)
        for skipped in gallery.refresh().skipped:
            if skipped not in known:  # said once, when first met, not on every request
                log.warning(
                    "gallery %s: skipped %s of %s: %s",
                    directory.name,
                    skipped.file,
                    skipped.resident,
                    skipped.reason,
                )
        return gallery

    def resolve_gallery(self, name: str) -> Path:
        """The resident directory a request's `path` names, by allowlist only.

        `path` is never used as a filesystem path: the default gallery answers to
        DEFAULT_GALLERY_NAMES, and any other name must be a folder directly under `galleries_dir`
        (a link leading elsewhere does not count).
        """
        name = name.strip()
        if name in DEFAULT_GALLERY_NAMES:
            return self.settings.residents_dir
        root = self.settings.galleries_dir
        if root is not None and _GALLERY_NAME.fullmatch(name):
            candidate = root / name
            if candidate.is_dir() and candidate.resolve().parent == root.resolve():
                return candidate
        raise GalleryNotFound(
            "no resident directory of that name: `path` must be `database` (the default gallery) "
            "or the name of a gallery folder under GALLERIES_DIR"
        )

    def camera_target(self, link: str) -> CameraTarget:
        """Validate a request's `cam_link` against the configured cameras and host allowlist."""
        s = self.settings
        names = self.cameras() if self.cameras else {n: c.url for n, c in s.camera_configs.items()}
        policy = CameraPolicy(names, frozenset(h.lower() for h in s.camera_hosts))
        return resolve_cam_link(link, policy)

    def recognize_file(
        self, path: Path, privacy: PrivacyLevel, gallery: Gallery, progress: Progress | None = None
    ) -> AnalysisResult:
        source = open_media(path, privacy, self.limits, self.settings.analysis_fps, progress)
        return self.analyzer.analyze(source, gallery, privacy, progress)

    def recognize_camera(
        self,
        target: CameraTarget,
        privacy: PrivacyLevel,
        gallery: Gallery,
        duration_s: float,
        stop_early: bool,
        progress: Progress | None = None,
    ) -> AnalysisResult:
        """Watch a camera for `duration_s` seconds, less with `stop_early` once a resident shows."""
        source = CameraSource(
            target, privacy, self.limits, self.settings.analysis_fps, duration_s, progress
        )
        return self.analyzer.analyze(
            source, gallery, privacy, progress, stop_on_resident=stop_early
        )

    def detect_faces(self, path: Path, privacy: PrivacyLevel) -> list[probe.DetectedFace]:
        return probe.detect(self.analyzer, probe.load(path, privacy, self.limits), privacy)

    def identify_faces(
        self, path: Path, privacy: PrivacyLevel, gallery: Gallery
    ) -> list[FaceMatch]:
        frame = probe.load(path, privacy, self.limits)
        return probe.identify(self.analyzer, frame, gallery, privacy)

    def identified_face(
        self, path: Path, privacy: PrivacyLevel, gallery: Gallery, position: int
    ) -> tuple[Box, np.ndarray]:
        """The face at `position` of `identify_faces`' answer, and its embedding."""
        frame = probe.load(path, privacy, self.limits)
        return probe.identified_face(self.analyzer, frame, gallery, privacy, position)

    def verify_faces(self, first: Path, second: Path, privacy: PrivacyLevel) -> probe.Verification:
        return probe.verify(
            self.analyzer,
            probe.load(first, privacy, self.limits),
            probe.load(second, privacy, self.limits),
            privacy,
        )
