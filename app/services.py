"""Composition root: build models, analyser and galleries once from Settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings
from app.domain import AnalysisResult
from app.errors import GalleryNotFound
from app.pipeline import models
from app.pipeline.align import LandmarkAligner
from app.pipeline.analyze import Analyzer, Progress
from app.pipeline.detect import FaceVerifier, build_detector
from app.pipeline.embed import build_embedder
from app.pipeline.gallery import Enrollment, Gallery
from app.pipeline.matching import ThresholdTable
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.sources import MediaLimits, decode_image, open_media
from app.store.db import Database
from app.store.embeddings import SqliteEmbeddingCache


@dataclass
class Services:
    settings: Settings
    analyzer: Analyzer
    limits: MediaLimits
    cache: SqliteEmbeddingCache
    _galleries: dict[Path, Gallery] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Provision weights and load every model. Raises ModelUnavailable, never downloads."""
        weights = models.provision(settings.weights_home.resolve())
        embedder = build_embedder(settings.recognizer)
        analyzer = Analyzer(
            detector=build_detector(settings.detector, settings.min_face_px),
            aligner=LandmarkAligner(
                str(weights / models.SHAPE_PREDICTOR_5), embedder.chip_size, embedder.chip_padding
            ),
            embedder=embedder,
            verifier=FaceVerifier(str(weights / models.MMOD_DETECTOR)),
            thresholds=ThresholdTable.load(),
            confirm_frames=settings.confirm_frames,
            fixed_threshold=settings.match_threshold,
        )
        limits = MediaLimits(
            max_frame_pixels=settings.max_frame_pixels,
            max_video_seconds=settings.max_video_seconds,
            max_video_frames=settings.max_video_frames,
            open_timeout_ms=settings.open_timeout_ms,
            read_timeout_ms=settings.read_timeout_ms,
        )
        cache = SqliteEmbeddingCache(Database(settings.cache_db))
        return cls(settings, analyzer, limits, cache)

    def privacy(self, raw: str | int) -> PrivacyLevel:
        return PrivacyLevel.parse(raw, self.settings.max_privacy_parameter)

    def enroll(self, path: Path) -> Enrollment:
        """Embed the single face of an enrollment photo, or say why it cannot be used."""
        try:
            frame = PrivacyLevel(0).blur(decode_image(path, self.limits))
        except Exception as exc:  # any unreadable photo is skipped, never fatal to the gallery
            return Enrollment(None, f"unreadable image: {getattr(exc, 'message', exc)}")
        faces = self.analyzer.faces(frame, verified=True)
        if not faces:
            return Enrollment(None, "no face found")
        if len(faces) > 1:
            return Enrollment(None, f"{len(faces)} faces found; an enrollment photo needs one")
        return Enrollment(self.analyzer.embed(faces)[0])

    def gallery(self, directory: Path) -> Gallery:
        """The gallery of a resident directory, built on first use and refreshed on each call."""
        directory = directory.resolve()
        if not directory.is_dir():
            raise GalleryNotFound(f"resident directory {directory.name!r} does not exist")
        with self._lock:
            gallery = self._galleries.get(directory)
            if gallery is None:
                gallery = Gallery(
                    directory, self.enroll, self.analyzer.embedder.model_id, self.cache
                )
                self._galleries[directory] = gallery
        gallery.refresh()
        return gallery

    def recognize_file(
        self, path: Path, privacy: PrivacyLevel, gallery: Gallery, progress: Progress | None = None
    ) -> AnalysisResult:
        source = open_media(path, privacy, self.limits, self.settings.analysis_fps)
        return self.analyzer.analyze(source, gallery.index, privacy, progress)
