"""analyse(source, gallery, privacy) -> AnalysisResult: the pipeline's single entry point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.domain import AnalysisResult, Box, Match, ModelInfo
from app.pipeline.align import AlignedFace, LandmarkAligner
from app.pipeline.detect import Detector, FaceVerifier
from app.pipeline.embed import ChipProfile, Embedder
from app.pipeline.gallery import Enrollment, Gallery
from app.pipeline.matching import Mode, ThresholdTable
from app.pipeline.prefetch import prefetched
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.sources import FrameSource
from app.pipeline.tracking import Observation, Track, Tracker, summarize

MAX_LABELS = 100  # SIFIS `Labels` entries kept (the DHT gossips at most 64 KiB per message)
REEMBED_AFTER_S = 2.0  # a settled track is re-embedded at least this often (seconds of video)
MIN_MOVE_IOU = 0.5  # ... and whenever its box moved more than this between analysed frames

Progress = Callable[[int, int], None]  # (frames decoded so far, expected frames)


@dataclass
class Stream:
    """What `Analyzer.step` keeps between the frames of one sequence."""

    gallery: Gallery
    privacy: PrivacyLevel
    confirm: int  # matched frames a track needs (1 for a single image)
    reembed_frames: int  # a settled track is re-embedded at least every this many frames
    tracker: Tracker = field(default_factory=Tracker)
    last_embedded: dict[int, int] = field(default_factory=dict)  # track id -> frame index
    analysed: int = 0
    max_observations: int | None = None  # a long-lived stream keeps each track's latest only


@dataclass(frozen=True)
class FaceMatch:
    face: AlignedFace
    match: Match


class Analyzer:
    """Detect -> align -> embed -> match, built once and shared by every request."""

    def __init__(
        self,
        detector: Detector,
        aligner: LandmarkAligner,
        embedder: Embedder,
        verifier: FaceVerifier,
        thresholds: ThresholdTable,
        confirm_frames: int,
        fixed_threshold: float | None = None,
    ) -> None:
        self.detector, self.aligner, self.embedder = detector, aligner, embedder
        self.verifier = verifier
        self.thresholds, self.confirm_frames = thresholds, confirm_frames
        self.fixed_threshold = fixed_threshold

    def threshold(self, privacy: PrivacyLevel, mode: Mode = "gallery") -> float:
        if self.fixed_threshold is not None:
            return self.fixed_threshold
        e = self.embedder
        return self.thresholds.threshold(e.name, e.metric, privacy.kernel, mode)

    def model_info(self, privacy: PrivacyLevel) -> ModelInfo:
        return ModelInfo(self.detector.name, self.embedder.name, round(self.threshold(privacy), 3))

    def profile(self, privacy: PrivacyLevel) -> ChipProfile:
        return self.embedder.profile(privacy.kernel)

    def faces(
        self, frame: BlurredFrame, profile: ChipProfile, verified: bool = False
    ) -> list[AlignedFace]:
        """Aligned faces of a frame; with `verified`, only boxes the verifier confirms."""
        boxes = self.verified_boxes(frame) if verified else self.detector.detect(frame)
        return self.aligner.align(frame, boxes, profile.padding)

    def verified_boxes(self, frame: BlurredFrame) -> list[Box]:
        """Detections the verifier confirms as faces (enrollment photos, unknown candidates)."""
        return [b for b in self.detector.detect(frame) if self.verifier.is_face(frame, b)]

    def embed_profiles(self, frame: BlurredFrame, box: Box) -> dict[str, np.ndarray]:
        """One face embedded once per chip profile of the embedder, keyed by model id."""
        return {
            p.model_id: self.embed(self.aligner.align(frame, [box], p.padding))[0]
            for p in self.embedder.profiles
        }

    def embed(self, faces: list[AlignedFace]) -> np.ndarray:
        return self.embedder.embed([f.chip for f in faces])

    def enroll(self, frame: BlurredFrame) -> dict[str, Enrollment]:
        """Embeddings of an enrollment photo's single face for every chip profile, or why not."""
        boxes = self.verified_boxes(frame)
        if len(boxes) != 1:
            reason = (
                f"{len(boxes)} faces found; an enrollment photo needs one"
                if boxes
                else "no face found"
            )
            return {p.model_id: Enrollment(None, reason) for p in self.embedder.profiles}
        return {m: Enrollment(v) for m, v in self.embed_profiles(frame, boxes[0]).items()}

    def identify(
        self, frame: BlurredFrame, gallery: Gallery, privacy: PrivacyLevel
    ) -> list[FaceMatch]:
        """Every face of one frame with its best resident (or None)."""
        profile = self.profile(privacy)
        faces = self.faces(frame, profile)
        index = gallery.index_for(profile.model_id)
        matches = index.match(self.embed(faces), self.embedder.metric, self.threshold(privacy))
        return [FaceMatch(f, m) for f, m in zip(faces, matches, strict=True)]

    def stream(self, gallery: Gallery, privacy: PrivacyLevel, fps: float, confirm: int) -> Stream:
        """A new frame sequence to analyse incrementally with `step` (a video, a watched
        camera); `fps` is its frame rate (0 = single images)."""
        reembed_frames = max(1, round(REEMBED_AFTER_S * fps)) if fps else 1
        return Stream(gallery, privacy, confirm, reembed_frames)

    def step(
        self, stream: Stream, index: int, frame: BlurredFrame, boxes: list[Box]
    ) -> list[Track]:
        """Track, embed and match the faces `boxes` of the next analysed frame (frame number
        `index`); returns the track of each box."""
        confirm, privacy = stream.confirm, stream.privacy
        threshold = self.threshold(privacy)
        profile = self.profile(privacy)
        known = stream.gallery.index_for(profile.model_id)
        tracks = stream.tracker.assign(stream.analysed, boxes)
        stream.analysed += 1
        todo = [
            i
            for i, (box, track) in enumerate(zip(boxes, tracks, strict=True))
            if not track.observations
            or not track.settled(confirm)
            or index - stream.last_embedded.get(track.id, -(10**9)) >= stream.reembed_frames
            or box.iou(track.box) < MIN_MOVE_IOU
        ]
        faces = self.aligner.align(frame, [boxes[i] for i in todo], profile.padding)
        matches = known.match(self.embed(faces), self.embedder.metric, threshold)
        by_box = dict(zip(todo, matches, strict=True))
        for i, (box, track) in enumerate(zip(boxes, tracks, strict=True)):
            track.observations.append(Observation(index, box, by_box.get(i)))
            if stream.max_observations:
                del track.observations[: -stream.max_observations]
            if i in by_box:
                stream.last_embedded[track.id] = index
            unknown_candidate = len(track.observations) >= confirm and not track.votes()
            if track.is_face is None and unknown_candidate:  # double-check before counting
                track.is_face = self.verifier.is_face(frame, box)
        return tracks

    def analyze(
        self,
        source: FrameSource,
        gallery: Gallery,
        privacy: PrivacyLevel,
        progress: Progress | None = None,
        stop_on_resident: bool = False,
    ) -> AnalysisResult:
        """Analyse every frame the source yields; with `stop_on_resident`, stop reading as soon as
        one resident is confirmed (cameras)."""
        single = source.expected_frames == 1 and source.fps == 0
        confirm = 1 if single else self.confirm_frames
        stream = self.stream(gallery, privacy, source.fps, confirm)
        detected = prefetched((i, f, self.detector.detect(f)) for i, f in source)
        for index, frame, boxes in detected:
            tracks = self.step(stream, index, frame, boxes)
            if progress:
                progress(source.count_frames, source.expected_frames)
            if stop_on_resident and any(t.identity(confirm) for t in tracks):
                break
        summary = summarize(stream.tracker.tracks, confirm, source.fps, MAX_LABELS)
        return AnalysisResult(
            media_type=source.media_type,
            privacy_parameter=privacy.kernel,
            count_frames=source.count_frames,
            analysed_frames=stream.analysed,
            residents=summary.residents,
            unknown_faces=summary.unknown_faces,
            labels=summary.labels,
            model=self.model_info(privacy),
        )
