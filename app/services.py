"""Composition root: the one place that builds the database, every store, the models and the use
cases from Settings. The shells (app/api, app/cli.py, app/dht_requests.py) receive what it built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import cv2

from app.analyses import Analyses
from app.bus import Bus, build_bus
from app.cameras.evidence import FaceCrops
from app.cameras.feed import EventFeed
from app.cameras.hosting import CameraHost, LocalHost, watcher_factory
from app.cameras.registry import CameraRegistry
from app.cameras.watching import Watching
from app.config import SAMPLE_DIR, Settings
from app.dht_requests import DhtRequests
from app.image_urls import UrlPolicy
from app.pipeline import models
from app.pipeline.align import LandmarkAligner
from app.pipeline.analyze import Analyzer
from app.pipeline.detect import FaceVerifier, build_detector
from app.pipeline.embed import build_embedder
from app.pipeline.matching import AcceptRule
from app.pipeline.media import MediaLimits
from app.pipeline.quality import QualityGate, QualityRules
from app.recognition import ConfirmedFaces, LabelledFaces, Recognition
from app.residents.changes import ResidentLog
from app.residents.directory import seed
from app.residents.manager import Residents
from app.residents.negatives import Feedback
from app.residents.positives import Positives
from app.runners import Runners, build_runners
from app.store.announced import Announced
from app.store.audit import AuditLog
from app.store.bus_requests import SeenRequests
from app.store.cameras import CameraStore
from app.store.db import Database
from app.store.embeddings import SqliteEmbeddingCache
from app.store.entity_slugs import EntitySlugs
from app.store.events import EventStore
from app.store.face_labels import FaceLabels
from app.store.outbox import Outbox


@dataclass(frozen=True)
class Stores:
    """Everything kept in STATE_DIR's SQLite file, over one `Database`. Cheap to open, so `serve`
    opens them before the models load (requests are audited from the first one)."""

    db: Database
    audit: AuditLog
    embeddings: SqliteEmbeddingCache
    outbox: Outbox
    seen_requests: SeenRequests
    resident_log: ResidentLog
    cameras: CameraStore
    events: EventStore
    announced: Announced
    negatives: FaceLabels
    positives: FaceLabels
    slugs: EntitySlugs

    @classmethod
    def open(cls, settings: Settings) -> Stores:
        db = Database(settings.state_db)
        log = ResidentLog(db)

        def sync(gallery: str) -> None:
            """Labelled faces follow their residents' identities, however those changed."""
            if Path(gallery).is_dir():
                log.sync(Path(gallery))

        return cls(
            db,
            AuditLog(db, settings.audit_retention_days),
            SqliteEmbeddingCache(db),
            Outbox(db, settings.outbox_max_messages),
            SeenRequests(db),
            log,
            CameraStore(db),
            EventStore(db, settings.event_retention_days),
            Announced(db),
            FaceLabels(db, "negatives", settings.negative_retention_days, sync=sync),
            FaceLabels(db, "positives", settings.positive_retention_days, sync=sync),
            EntitySlugs(db),
        )


@dataclass(frozen=True)
class Services:
    settings: Settings
    stores: Stores
    recognition: Recognition
    bus: Bus
    analyses: Analyses
    runners: Runners  # where analyses run: this process, or the queue's workers
    residents: Residents
    url_policy: UrlPolicy
    dht_requests: DhtRequests | None  # with DHT_SUBSCRIBE; started by start_bus()
    cameras: CameraRegistry
    watching: Watching  # started by start_watching()

    @classmethod
    def build(cls, settings: Settings, stores: Stores | None = None) -> Services:
        """Provision weights and load every model. Raises ModelUnavailable, never downloads."""
        stores = stores or Stores.open(settings)
        if settings.database_dir is None:
            seed(settings.residents_dir, SAMPLE_DIR)
        cameras = CameraRegistry(settings, stores.cameras)
        recognition = _recognition(
            settings,
            stores.embeddings,
            cameras=cameras.urls,
            negatives=stores.negatives.vectors,
            positives=stores.positives.seen,
        )
        bus = build_bus(settings, stores.outbox, stores.slugs)
        feed = EventFeed(stores.events, bus, settings.event_stream_clients)
        crops = FaceCrops()
        analyses = Analyses(
            recognition, bus, settings.bus_progress_interval_s, settings.request_timeout_s
        )
        runners = build_runners(settings)
        dht_requests = (
            DhtRequests(
                analyses,
                recognition,
                stores.seen_requests,
                stores.audit,
                settings,
                runners.bus,
            )
            if settings.dht_subscribe and bus.dht is not None
            else None
        )
        return cls(
            settings,
            stores,
            recognition,
            bus,
            analyses,
            runners,
            Residents(recognition, stores.resident_log, (stores.negatives, stores.positives)),
            _url_policy(settings),
            dht_requests,
            cameras,
            Watching(
                settings,
                cameras,
                recognition,
                feed,
                bus,
                stores.announced,
                _camera_host(settings, recognition, crops),
                crops,
            ),
        )

    def feedback(self) -> Feedback:
        """ "That was not me", on the default gallery (the cameras')."""
        stores = self.stores
        return Feedback(stores.events, stores.negatives, self.settings.residents_dir)

    def positives(self) -> Positives:
        """ "This is X", on the default gallery as it is now."""
        recognition = self.recognition
        gallery = recognition.gallery(self.settings.residents_dir)
        return Positives(
            self.stores.events, self.stores.positives, gallery, recognition.quality_gate
        )

    def start_bus(self) -> None:
        """Start delivering the outbox and, with DHT_SUBSCRIBE, taking requests from the DHT."""
        if self.dht_requests is not None and self.bus.dht is not None:
            self.dht_requests.start()
            self.bus.dht.add_listener(self.dht_requests.receive)
        self.bus.start()

    def start_watching(self) -> None:
        """Start a watcher for every camera with `watch` (and for those added later)."""
        self.watching.start()

    def stop_watching(self) -> None:
        self.watching.stop()

    def stop_bus(self) -> None:
        if self.dht_requests is not None:
            self.dht_requests.stop()
        self.bus.stop()


def build_recognition(settings: Settings) -> Recognition:
    """Only what a queue worker needs (app/queue/worker.py): the models and the galleries."""
    return _recognition(settings, Stores.open(settings).embeddings)


def _recognition(
    settings: Settings,
    cache: SqliteEmbeddingCache,
    cameras: Callable[[], Mapping[str, str]] | None = None,
    negatives: LabelledFaces | None = None,
    positives: ConfirmedFaces | None = None,
) -> Recognition:
    """`serve`'s recognition knows its named cameras and the faces people labelled; a queue
    worker's knows none of them (its cameras come from CAMERAS)."""
    if settings.analysis_threads:
        cv2.setNumThreads(settings.analysis_threads)
    weights = models.provision(settings.weights_home.resolve())
    embedder = build_embedder(settings.recognizer, weights, settings.analysis_threads)
    analyzer = Analyzer(
        detector=build_detector(settings.detector, settings.min_face_px),
        aligner=LandmarkAligner(str(weights / models.SHAPE_PREDICTOR_5), embedder.chip_size),
        embedder=embedder,
        verifier=FaceVerifier(str(weights / models.MMOD_DETECTOR)),
        rule=AcceptRule.load(embedder.name, settings.match_threshold),
        confirm_frames=settings.confirm_frames,
    )
    limits = media_limits(settings)
    rules = QualityRules(
        settings.enroll_min_face_px,
        settings.enroll_min_sharpness,
        settings.enroll_duplicate_ratio,
        settings.enroll_max_side,
    )
    return Recognition(
        settings,
        analyzer,
        limits,
        cache,
        QualityGate(analyzer, rules),
        cameras,
        negatives,
        positives,
    )


def _camera_host(settings: Settings, recognition: Recognition, crops: FaceCrops) -> CameraHost:
    """Where the watched cameras run: here, or with QUEUE_URL on the queue workers
    (docs/scale.md)."""
    if settings.queue_url:
        from app.cameras.sharing import Roster  # Redis and Celery load only with a queue
        from app.queue.broker import client

        return Roster(client(settings.queue_url))
    return LocalHost(watcher_factory(settings, recognition), crops)


def _url_policy(settings: Settings) -> UrlPolicy:
    dht_host = urlsplit(settings.dht_url).hostname if settings.dht_url else None
    return UrlPolicy(
        enabled=settings.image_urls,
        hosts=frozenset(h.lower() for h in settings.image_url_hosts),
        forbidden_hosts=frozenset({dht_host.lower()} if dht_host else ()),
        max_bytes=settings.image_url_max_bytes,
        timeout_s=settings.image_url_timeout_s,
    )


def media_limits(settings: Settings) -> MediaLimits:
    """What one request may decode: the settings are their one source."""
    return MediaLimits(
        max_frame_pixels=settings.max_frame_pixels,
        max_video_seconds=settings.max_video_seconds,
        max_video_frames=settings.max_video_frames,
        max_decoded_pixels=settings.max_decoded_pixels,
        open_timeout_ms=settings.open_timeout_ms,
        read_timeout_ms=settings.read_timeout_ms,
    )
