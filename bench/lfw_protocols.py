"""The LFW protocols of `python -m bench.accuracy --lfw DIR`: pairs, household, face sizes.

Every figure comes from the service's own code: its detector, aligner and embedder
(`bench.lfw.PhotoEmbedder`), its `GalleryIndex` (fused clean + blurred distances) and its
`AcceptRule`. With `--cv`, each fold is judged by a rule fitted on the other folds
(`bench.calibrate.fit_rule`): those are the held-out figures. Without it, the shipped rule is
judged on every dev fold, which flatters it (it was fitted on them).

- pairs (View 2 lines, k in PAIR_KERNELS, faces ~110 px): mode `gallery` = first photo enrolled
  clean, second blurred (what `/check_directory` does); mode `pair` = both blurred (what
  `/faces/verify` does). TAR at FAR 0.1 % uses every different-identity comparison among the
  fold's pair photos as strangers.
- household (k in HOUSEHOLD_KERNELS x FACE_SIZES): galleries of 5 and 20 residents with 1
  enrollment photo and of 5 with 3 (GALLERIES), drawn `DRAWS` times per fold; each resident
  enrolls exactly that many photos (its first); probes = the residents' photos after their
  first three (after the first when they have 2-3) and every sampled single-photo identity of the
  fold as a stranger.
- confirmed and appearance households: bench/lfw_confirmed.py, bench/lfw_appearances.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.config import Settings
from app.domain import Match
from app.pipeline.analyze import Analyzer
from app.pipeline.gallery import view_id
from app.pipeline.matching import (
    BLUR_LEVELS,
    AcceptRule,
    GalleryIndex,
    distances,
    relative_blur,
)
from app.services import Services
from bench.lfw import Embedded, Lfw, Photo, PhotoEmbedder, Sample
from bench.samples import Rivals, Samples, rivals, samples

HOUSEHOLD_KERNELS = (0, 17, 25, 35)
FACE_SIZES = (110, 80, 50, 220)
PAIR_KERNELS = (0, 9, 17, 25, 35, 51)
PAIR_FACE_PX = 110
RESIDENTS_PER_FOLD, STRANGERS_PER_FOLD, PAIRS_PER_FOLD = 25, 40, 20
# (residents, photos each); 20 x 3 would need 20 identities with 4+ photos in one fold's sample
GALLERIES = ((5, 1), (20, 1), (5, 3))
DRAWS = 5
TARGET_FAR = 0.001


@dataclass
class Bench:
    lfw: Lfw
    sample: Sample
    analyzer: Analyzer
    embedder: PhotoEmbedder
    _probes: dict[tuple[int, int], dict[str, Embedded]] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> Bench:
        lfw = Lfw.load(root)
        sample = Sample.draw(lfw, lfw.folds, RESIDENTS_PER_FOLD, STRANGERS_PER_FOLD, PAIRS_PER_FOLD)
        analyzer = Services.build(Settings()).recognition.analyzer
        return cls(lfw, sample, analyzer, PhotoEmbedder(analyzer, root))

    @property
    def folds(self) -> list[int]:
        return self.lfw.folds

    def describe(self) -> str:
        s = self.sample
        return (
            f"{len(s.residents)} residents, {len(s.strangers)} single-photo strangers, "
            f"{len(s.pairs)} pairs, {RESIDENTS_PER_FOLD}/{STRANGERS_PER_FOLD}/{PAIRS_PER_FOLD} "
            "per fold"
        )

    # --- embeddings -------------------------------------------------------------------------

    def probes(self, kernel: int, face_px: int) -> dict[str, Embedded]:
        if (kernel, face_px) not in self._probes:
            photos = self.sample.probe_photos()
            if face_px == PAIR_FACE_PX and kernel in PAIR_KERNELS:
                photos = sorted({*photos, *self.sample.pair_photos()}, key=lambda p: p.key)
            self._probes[kernel, face_px] = self.embedder.probes(photos, kernel, face_px)
        return self._probes[kernel, face_px]

    def faces(self, photos: list[Photo], kernel: int, face_px: int) -> dict[str, Embedded]:
        """Any photos as probes (scaled, blurred, embedded; cached), keyed by photo."""
        return self.embedder.probes(sorted(set(photos), key=lambda p: p.key), kernel, face_px)

    def index(self, photos: list[Photo]) -> tuple[GalleryIndex, list[Photo]]:
        """A gallery index of these enrolled photos (those with a face), and its rows' photos."""
        enrolled = self.embedder.enrolled(photos)
        found = [(p, views) for p in photos if (views := enrolled[p.key]) is not None]
        rows = [p for p, _ in found]
        profile = self.analyzer.embedder.profiles[0].model_id

        def stack(level: float | None) -> np.ndarray:
            return np.stack([views[view_id(profile, level)] for _, views in found])

        return (
            GalleryIndex(
                tuple(p.identity for p in rows),
                stack(None),
                {level: stack(level) for level in BLUR_LEVELS},
            ),
            rows,
        )

    def conditions(self) -> list[tuple[int, int]]:
        household = [(k, px) for k in HOUSEHOLD_KERNELS for px in FACE_SIZES]
        pairs = [(k, PAIR_FACE_PX) for k in PAIR_KERNELS]
        return sorted(set(household + pairs))

    # --- calibration samples ----------------------------------------------------------------

    def calibration_samples(self, folds: list[int]) -> tuple[Samples, Samples, Rivals]:
        """Stranger and resident distances of the folds' faces, gallery mode and pair mode, and
        each resident face's distances to its own and to the nearest other enrolled photo."""
        s, metric = self.sample, self.analyzer.embedder.metric
        wanted = set(folds)
        enrolled = [p for p in s.enrollment_photos() if self.lfw.fold_of.get(p.identity) in wanted]
        index, rows = self.index(enrolled)
        gallery_parts, pair_parts, rival_parts = [], [], []
        for kernel, face_px in self.conditions():
            found = [
                (photo, e)
                for photo in s.probe_photos() + s.pair_photos()
                if self.lfw.fold_of.get(photo.identity) in wanted
                and (e := self.probes(kernel, face_px).get(photo.key)) is not None
                and e.vector is not None
            ]
            unique = {photo.key: (photo, e) for photo, e in found}.values()
            probes = [
                (p.identity, e.found_vector, relative_blur(kernel, e.face_px), e.face_px)
                for p, e in unique
                if p not in rows  # a photo is never compared with itself
            ]
            gallery_parts.append(samples(index, list(index.names), probes, metric))
            rival_parts.append(rivals(index, probes, metric))
            if face_px == PAIR_FACE_PX:
                pair_parts.append(_pair_samples(list(unique), kernel, metric))
        return (
            Samples.concat(gallery_parts),
            Samples.concat(pair_parts),
            Rivals.concat(rival_parts),
        )

    # --- protocols --------------------------------------------------------------------------

    def household(
        self, rule: AcceptRule, folds: list[int], kernel: int, face_px: int, size: tuple[int, int]
    ) -> Counter[str]:
        """Outcome counts of resident and stranger faces over DRAWS galleries per fold."""
        residents_n, photos_n = size
        rng = np.random.default_rng(1000 * residents_n + photos_n)
        probes, metric = self.probes(kernel, face_px), self.analyzer.embedder.metric
        out: Counter[str] = Counter()
        for fold in folds:
            eligible = [
                n
                for n, ps in self.sample.residents.items()
                if self.lfw.fold_of[n] == fold and len(ps) >= photos_n
            ]
            strangers = [n for n in self.sample.strangers if self.lfw.fold_of[n] == fold]
            if len(eligible) < residents_n:
                continue
            for _ in range(DRAWS):
                chosen = list(rng.choice(eligible, residents_n, replace=False))
                index, _ = self.index(
                    [p for n in chosen for p in self.sample.residents[n][:photos_n]]
                )
                for name in chosen + strangers:
                    role = "resident" if name in chosen else "stranger"
                    for photo in self.sample.probes[name]:
                        verdict = outcome(index, probes[photo.key], name, kernel, metric, rule)
                        out[f"{role}_{verdict}"] += 1
        return out

    def pairs(self, rule: AcceptRule, folds: list[int], kernel: int, mode: str) -> dict[str, float]:
        """Pairs-protocol figures of one k and mode on the given folds."""
        s, metric = self.sample, self.analyzer.embedder.metric
        probes = self.probes(kernel, PAIR_FACE_PX)
        pairs = [p for p in s.pairs if p.fold in folds]
        enrolled = self.embedder.enrolled(s.enrollment_photos()) if mode == "gallery" else {}
        rows = []
        for pair in pairs:
            second = probes[pair.second.key]
            if mode == "gallery":
                views = enrolled[pair.first.key]
                if views is None or second.vector is None:
                    rows.append((pair.same, np.nan, np.nan, 0.0))
                    continue
                width = second.face_px
                relative = relative_blur(kernel, width)
                first_photo = _single_view_index(views, self.analyzer)
                d = first_photo.fused(second.vector, relative, metric)[0]
            else:
                first = probes[pair.first.key]
                if first.vector is None or second.vector is None:
                    rows.append((pair.same, np.nan, np.nan, 0.0))
                    continue
                width = min(first.face_px, second.face_px)
                relative = relative_blur(kernel, width)
                d = float(distances(first.vector[None], second.vector[None], metric)[0, 0])
            rows.append((pair.same, d, relative, width))
        same = np.array([r[0] for r in rows])
        d = np.array([r[1] for r in rows])
        relatives = np.array([r[2] for r in rows])
        widths = np.array([r[3] for r in rows])
        found = np.isfinite(d)
        recognisable = found & np.array(
            [
                f and rule.recognisable(r, w)
                for f, r, w in zip(found, relatives, widths, strict=True)
            ]
        )
        thresholds = np.array(
            [
                rule.threshold(min(r, rule.max_blur), 1, mode) if f else np.nan
                for f, r in zip(found, relatives, strict=True)
            ]
        )
        accept = recognisable & (d <= thresholds)
        return {
            "far": float((accept & ~same).sum() / max(1, (~same).sum())),
            "tar": float((accept & same).sum() / max(1, same.sum())),
            "no_face": float((~found).mean()),
            "unrecognisable": float((found & ~recognisable).mean()),
            "best_acc": _best_accuracy(d[found], same[found]),
        }

    def tar_at_far(self, folds: list[int], kernel: int, mode: str) -> float:
        """TAR at FAR 0.1 %, strangers = every different-identity comparison among the folds'
        pair photos (gallery mode: first photos enrolled, all probes blurred)."""
        s, metric = self.sample, self.analyzer.embedder.metric
        probes = self.probes(kernel, PAIR_FACE_PX)
        photos = [p for p in s.pair_photos() if self.lfw.fold_of.get(p.identity) in folds]
        if mode == "pair":
            found = [(p, probes[p.key]) for p in photos if probes[p.key].vector is not None]
            data = _pair_samples(found, kernel, metric)
        else:
            firsts = [q.first for q in s.pairs if q.fold in folds]
            index, rows = self.index(firsts)
            data = samples(
                index,
                list(index.names),
                [
                    (p.identity, e.vector, relative_blur(kernel, e.face_px), e.face_px)
                    for p in photos
                    if (e := probes[p.key]).vector is not None and p not in rows
                ],
                metric,
            )
        t = np.quantile(data.distance[~data.same], TARGET_FAR)
        return float((data.distance[data.same] <= t).mean())


def _single_view_index(views: dict[str, np.ndarray], analyzer: Analyzer) -> GalleryIndex:
    profile = analyzer.embedder.profiles[0].model_id
    return GalleryIndex(
        ("first",),
        views[view_id(profile, None)][None],
        {level: views[view_id(profile, level)][None] for level in BLUR_LEVELS},
    )


def _pair_samples(found: list[tuple[Photo, Embedded]], kernel: int, metric: str) -> Samples:
    """Every pair of distinct photos, both blurred alike; blur = the narrower face's."""
    vectors = np.stack([e.found_vector for _, e in found])
    widths = np.array([e.face_px for _, e in found])
    names = np.array([p.identity for p, _ in found])
    d = distances(vectors, vectors, metric)
    upper = np.triu_indices(len(found), k=1)
    narrow = np.minimum(widths[:, None], widths[None, :])[upper]
    return Samples(
        np.array([relative_blur(kernel, w) for w in narrow]),
        d[upper],
        (names[:, None] == names[None, :])[upper],
    )


def outcome(
    index: GalleryIndex, probe: Embedded, name: str, kernel: int, metric: str, rule: AcceptRule
) -> str:
    """What the service says of one face of `name`: no_face, unrecognisable, unknown, right
    (named `name`) or named (given another name)."""
    if probe.vector is None:
        return "no_face"
    (match,) = index.match(probe.vector[None], [probe.face_px], kernel, metric, rule)
    return verdict(match, name)


def verdict(match: Match, name: str) -> str:
    """`outcome` of a match already made."""
    if match.unrecognisable:
        return "unrecognisable"
    if match.name is None:
        return "unknown"
    return "right" if match.name == name else "named"


def _best_accuracy(d: np.ndarray, same: np.ndarray) -> float:
    """LFW's classic figure: accuracy at the best single threshold (for comparison only)."""
    if len(d) == 0:
        return float("nan")
    candidates = np.sort(d)
    return float(max(((d <= t) == same).mean() for t in candidates))
