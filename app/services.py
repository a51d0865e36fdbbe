"""Composition root: build models, analyser and galleries once from Settings."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.bus.events import ResultEvent
from app.bus.fanout import Bus, build_bus
from app.config import Settings
from app.domain import AnalysisResult
from app.errors import GalleryNotFound
from app.image_urls import UrlPolicy
from app.pipeline import models, probe
from app.pipeline.align import LandmarkAligner
from app.pipeline.analyze import Analyzer, FaceMatch, Progress
from app.pipeline.detect import FaceVerifier, build_detector
from app.pipeline.embed import build_embedder
from app.pipeline.gallery import Enrollment, Gallery
from app.pipeline.matching import ThresholdTable
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.quality import QualityGate, QualityRules
from app.pipeline.sources import (
    CameraPolicy,
    CameraSource,
    CameraTarget,
    MediaLimits,
    decode_image,
    open_media,
    resolve_cam_link,
)
from app.resident_manager import ResidentManager
from app.sifis import RequestIds
from app.store.audit import AuditLog
from app.store.bus_requests import SeenRequests
from app.store.db import Database
from app.store.embeddings import SqliteEmbeddingCache
from app.store.residents import ResidentLog

if TYPE_CHECKING:
    from app.bus.requests import BusRequests

# What a request's `path` may say to mean the default gallery (the SIFIS original's container path).
DEFAULT_GALLERY_NAMES = frozenset({"", "database", "/app/database"})
_GALLERY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass
class Services:
    settings: Settings
    analyzer: Analyzer
    limits: MediaLimits
    cache: SqliteEmbeddingCache
    bus: Bus | None = None  # built by build(); started and stopped by start_bus()/stop_bus()
    _galleries: dict[Path, Gallery] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _residents_lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: BusRequests | None = None

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Provision weights and load every model. Raises ModelUnavailable, never downloads."""
        weights = models.provision(settings.weights_home.resolve())
        embedder = build_embedder(settings.recognizer)
        analyzer = Analyzer(
            detector=build_detector(settings.detector, settings.min_face_px),
            aligner=LandmarkAligner(str(weights / models.SHAPE_PREDICTOR_5), embedder.chip_size),
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
            max_decoded_pixels=settings.max_decoded_pixels,
            open_timeout_ms=settings.open_timeout_ms,
            read_timeout_ms=settings.read_timeout_ms,
        )
        db = Database(settings.state_db)
        return cls(settings, analyzer, limits, SqliteEmbeddingCache(db), build_bus(settings, db))

    def privacy(self, raw: str | int) -> PrivacyLevel:
        return PrivacyLevel.parse(raw, self.settings.max_privacy_parameter)

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
                )
                self._galleries[directory] = gallery
        gallery.refresh()
        return gallery

    def recognize_file(
        self, path: Path, privacy: PrivacyLevel, gallery: Gallery, progress: Progress | None = None
    ) -> AnalysisResult:
        source = open_media(path, privacy, self.limits, self.settings.analysis_fps, progress)
        return self.analyzer.analyze(source, gallery, privacy, progress)

    def resolve_gallery(self, name: str) -> Path:
        """The resident directory a request's `path` names, by allowlist only.

        `path` is never used as a filesystem path: the default gallery answers to
        DEFAULT_GALLERY_NAMES, and any other name must be a folder directly under `galleries_dir`
        (a link leading elsewhere does not count).
        """
        name = name.strip()
        if name in DEFAULT_GALLERY_NAMES:
            return self.settings.database_dir
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
        policy = CameraPolicy(s.cameras, frozenset(h.lower() for h in s.camera_hosts))
        return resolve_cam_link(link, policy)

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

    def publish_result(self, value: dict[str, Any]) -> None:
        """Queue a SIFIS result `value` for every configured bus; never blocks, never raises."""
        if self.bus is not None:
            self.bus.publish(ResultEvent(value))

    def progress_reporter(
        self, ids: RequestIds, analysis_id: str, file_name: str
    ) -> Progress | None:
        """A throttled progress publisher for one analysis, or None without a bus."""
        if self.bus is None:
            return None
        interval = self.settings.bus_progress_interval_s
        return self.bus.progress(ids, analysis_id, file_name, interval)

    def start_bus(self) -> None:
        """Start delivering the outbox and, with DHT_SUBSCRIBE, taking requests from the DHT."""
        if self.bus is None:
            return
        if self.settings.dht_subscribe and self.bus.dht is not None:
            from app.bus.requests import BusRequests  # a shell over these services

            db = Database(self.settings.state_db)
            self._requests = BusRequests(
                self, SeenRequests(db), AuditLog(db, self.settings.audit_retention_days)
            )
            self._requests.start()
            self.bus.dht.add_listener(self._requests.receive)
        self.bus.start()

    def stop_bus(self) -> None:
        if self._requests is not None:
            self._requests.stop()
        if self.bus is not None:
            self.bus.stop()

    # --- residents and single-image queries ---------------------------------------------------

    @cached_property
    def resident_log(self) -> ResidentLog:
        return ResidentLog(Database(self.settings.state_db))

    @cached_property
    def quality_gate(self) -> QualityGate:
        s = self.settings
        rules = QualityRules(
            s.enroll_min_face_px,
            s.enroll_min_sharpness,
            s.enroll_duplicate_ratio,
            s.enroll_max_side,
        )
        return QualityGate(self.analyzer, rules)

    def residents(self, directory: Path) -> ResidentManager:
        """Residents management of a resident directory (one lock for every change)."""
        if not directory.is_dir():
            raise GalleryNotFound(f"resident directory {directory.name!r} does not exist")
        return ResidentManager(self, directory, self._residents_lock)

    @property
    def url_policy(self) -> UrlPolicy:
        s = self.settings
        dht_host = urlsplit(s.dht_url).hostname if s.dht_url else None
        return UrlPolicy(
            enabled=s.image_urls,
            hosts=frozenset(h.lower() for h in s.image_url_hosts),
            forbidden_hosts=frozenset({dht_host.lower()} if dht_host else ()),
            max_bytes=s.image_url_max_bytes,
            timeout_s=s.image_url_timeout_s,
        )

    def detect_faces(self, path: Path, privacy: PrivacyLevel) -> list[probe.DetectedFace]:
        return probe.detect(self.analyzer, probe.load(path, privacy, self.limits), privacy)

    def identify_faces(
        self, path: Path, privacy: PrivacyLevel, gallery: Gallery
    ) -> list[FaceMatch]:
        frame = probe.load(path, privacy, self.limits)
        return probe.identify(self.analyzer, frame, gallery, privacy)

    def verify_faces(self, first: Path, second: Path, privacy: PrivacyLevel) -> probe.Verification:
        frames = (probe.load(p, privacy, self.limits) for p in (first, second))
        return probe.verify(self.analyzer, *frames, privacy)
