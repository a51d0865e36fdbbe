"""analyse(source, gallery, privacy) -> AnalysisResult: the pipeline's single entry point."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.domain import AnalysisResult, Box, Match, ModelInfo
from app.pipeline.align import AlignedFace, LandmarkAligner
from app.pipeline.detect import Detector, FaceVerifier
from app.pipeline.embed import ChipProfile, Embedder
from app.pipeline.gallery import Enrollment, Gallery, view_id
from app.pipeline.matching import BLUR_LEVELS, AcceptRule, kernel_for_sigma, relative_blur
from app.pipeline.media import FrameSource
from app.pipeline.prefetch import prefetched
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.progress import Progress
from app.pipeline.sharpness import sharpness
from app.pipeline.tracking import Observation, Track, Tracker, summarize

MAX_LABELS = 100  # SIFIS `Labels` entries kept (the DHT gossips at most 64 KiB per message)
REEMBED_AFTER_S = 2.0  # a decided track is re-embedded at least this often (seconds of video)
MIN_MOVE_IOU = 0.5  # ... and whenever its box moved more than this between analysed frames


@dataclass
class Stream:
    """What `Analyzer.step` keeps between the frames of one sequence."""

    gallery: Gallery
    privacy: PrivacyLevel
    confirm: int  # matched frames a track needs (1 for a single image)
    reembed_frames: int  # a decided track is re-embedded at least every this many frames
    tracker: Tracker = field(default_factory=Tracker)
    last_embedded: dict[int, int] = field(default_factory=dict)  # track id -> frame index
    analysed: int = 0
    max_observations: int | None = None  # a long-lived stream keeps each track's latest only
    # unrecognisable faces get the verifier's MMOD opinion too (single images: one call, cheap)
    verify_unrecognisable: bool = False


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
        rule: AcceptRule,
        confirm_frames: int,
    ) -> None:
        self.detector, self.aligner, self.embedder = detector, aligner, embedder
        self.verifier, self.rule, self.confirm_frames = verifier, rule, confirm_frames

    def model_info(self) -> ModelInfo:
        """Models and the accept distance of a sharp face against one enrolled photo (blur and
        a larger gallery tighten it: docs/recognition.md)."""
        return ModelInfo(
            self.detector.name, self.embedder.name, round(self.rule.threshold(0, 1), 3)
        )

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

    def view_ids(self) -> tuple[str, ...]:
        """Cache ids of every enrollment view: each chip profile, clean and at each blur level."""
        return tuple(
            view_id(p.model_id, level)
            for p in self.embedder.profiles
            for level in (None, *BLUR_LEVELS)
        )

    def embed_views(self, frame: BlurredFrame, box: Box) -> dict[str, np.ndarray]:
        """An enrollment face embedded in every view, keyed by view id. The blurred views blur a
        copy of the photo so that the face gets each level's blur relative to its width."""
        views = {}
        for level in (None, *BLUR_LEVELS):
            view = frame
            if level is not None:
                kernel = kernel_for_sigma(level * box.w)
                view = PrivacyLevel(kernel).blur(frame.pixels.copy())
            for p in self.embedder.profiles:
                chip = self.aligner.align(view, [box], p.padding)
                views[view_id(p.model_id, level)] = self.embed(chip)[0]
        return views

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
            return dict.fromkeys(self.view_ids(), Enrollment(None, reason))
        return {m: Enrollment(v) for m, v in self.embed_views(frame, boxes[0]).items()}

    def identify(
        self, frame: BlurredFrame, gallery: Gallery, privacy: PrivacyLevel
    ) -> list[FaceMatch]:
        """Every face of one frame with its best resident (or None)."""
        profile = self.profile(privacy)
        faces = self.faces(frame, profile)
        return [
            FaceMatch(f, m) for f, m in zip(faces, self.match(faces, gallery, privacy), strict=True)
        ]

    def match(
        self, faces: list[AlignedFace], gallery: Gallery, privacy: PrivacyLevel
    ) -> list[Match]:
        """The rule's verdict for each aligned face (cut with `self.profile(privacy)`)."""
        return self.match_embedded(self.embed(faces), faces, gallery, privacy)

    def match_embedded(
        self, vectors: np.ndarray, faces: list[AlignedFace], gallery: Gallery, privacy: PrivacyLevel
    ) -> list[Match]:
        """`match` for faces already embedded (`vectors`, one row per face)."""
        index = gallery.index_for(self.profile(privacy).model_id)
        widths = [float(f.box.w) for f in faces]
        return index.match(vectors, widths, privacy.kernel, self.embedder.metric, self.rule)

    def stream(self, gallery: Gallery, privacy: PrivacyLevel, fps: float, confirm: int) -> Stream:
        """A new frame sequence to analyse incrementally with `step` (a video, a watched
        camera); `fps` is its frame rate (0 = single images)."""
        reembed_frames = max(1, round(REEMBED_AFTER_S * fps)) if fps else 1
        return Stream(gallery, privacy, confirm, reembed_frames, verify_unrecognisable=not fps)

    def step(
        self, stream: Stream, index: int, frame: BlurredFrame, boxes: list[Box]
    ) -> list[Track]:
        """Track, embed and match the faces `boxes` of the next analysed frame (frame number
        `index`); returns the track of each box."""
        tracks = stream.tracker.assign(stream.analysed, boxes)
        stream.analysed += 1
        due = [
            i
            for i, (box, track) in enumerate(zip(boxes, tracks, strict=True))
            if self._due(stream, index, box, track)
        ]
        observed = dict(
            zip(due, self._observe(frame, [boxes[i] for i in due], stream), strict=True)
        )
        gallery_index = stream.gallery.index_for(self.profile(stream.privacy).model_id)
        for i, (box, track) in enumerate(zip(boxes, tracks, strict=True)):
            match, vector = observed.get(i, (None, None))
            sharp = sharpness(frame, box) if vector is not None else None
            observation = Observation(index, box, match, vector, sharp)
            track.observations.append(observation)
            if match is not None:  # only an embedded observation can count towards a window
                track.count(
                    observation,
                    gallery_index,
                    self.rule,
                    stream.privacy.kernel,
                    self.embedder.metric,
                )
                stream.last_embedded[track.id] = index
            if stream.max_observations:
                track.trim(stream.max_observations)
            if len(track.observations) >= stream.confirm and not track.votes():
                self._verify(frame, box, track, stream)  # double-check before counting
        return tracks

    def _verify(self, frame: BlurredFrame, box: Box, track: Track, stream: Stream) -> None:
        """The verifier's verdict on a track no resident was matched in, asked once: thoroughly
        when it would be an unknown face; in a video or camera, cheaply when it is unrecognisable
        (no name is at stake, and MMOD's ~0.3 s per small blurred passer-by would cost more than
        all else), and thoroughly after all if a cheap "no" track becomes recognisable."""
        thorough = stream.verify_unrecognisable or not track.unrecognisable()
        if track.is_face is None or (
            not track.is_face and thorough and not track.verified_thoroughly
        ):
            track.is_face = self.verifier.is_face(frame, box, thorough)
            track.verified_thoroughly = thorough

    @staticmethod
    def _due(stream: Stream, index: int, box: Box, track: Track) -> bool:
        """Whether a face needs a new match: its track is new or undecided, it has not been
        matched for `reembed_frames`, or it moved (another face may have taken its place)."""
        return (
            not track.observations
            or not track.decided(stream.confirm)
            or index - stream.last_embedded.get(track.id, -(10**9)) >= stream.reembed_frames
            or box.iou(track.box) < MIN_MOVE_IOU
        )

    def _observe(
        self, frame: BlurredFrame, boxes: list[Box], stream: Stream
    ) -> list[tuple[Match, np.ndarray | None]]:
        """The rule's verdict on each face and its embedding. Faces too small for their blur are
        unrecognisable whatever they look like, so only the others are aligned and embedded (in
        one batch)."""
        relative = [relative_blur(stream.privacy.kernel, b.w) for b in boxes]
        nameable = [i for i, b in enumerate(boxes) if self.rule.recognisable(relative[i], b.w)]
        faces = self.aligner.align(
            frame, [boxes[i] for i in nameable], self.profile(stream.privacy).padding
        )
        vectors = self.embed(faces)
        matches = self.match_embedded(vectors, faces, stream.gallery, stream.privacy)
        embedded = dict(zip(nameable, zip(matches, vectors, strict=True), strict=True))
        return [
            embedded.get(i) or (self.rule.judge(math.inf, None, relative[i], b.w, 1), None)
            for i, b in enumerate(boxes)
        ]

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
            unrecognisable_faces=summary.unrecognisable_faces,
            labels=summary.labels,
            model=self.model_info(),
        )
