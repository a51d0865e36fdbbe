"""Open-set matching: who a face is, nobody, or "unrecognisable" — never a stranger's guess.

Three facts measured on LFW (docs/recognition.md) shape the rule:
- Blur hurts in proportion to the face's size: what counts is the blur's sigma relative to the
  face's width in the frame (`relative_blur`), not the kernel alone.
- A gallery of N enrolled photos gives a stranger N chances: the accept distance must tighten as
  N grows (open-set identification), so that the chance of naming a stranger stays the same.
- Comparing a blurred face with its enrollment photo blurred to the same relative blur, as well as
  with the clean photo, and averaging both distances, separates people better than either alone.

The rule (`AcceptRule`): on LFW development folds, the distances of strangers' faces to enrolled
photos were measured at each relative blur r, down to how close one stranger in 10^8 would come
(`TailCurve`; measured where the data reach, extrapolated conservatively beyond). A face is named
only when its fused distance to the nearest resident is below the distance that one comparison
with a stranger undercuts with chance `stranger_rate / N`, N being the number of enrolled photos
it was compared with: so the chance that a stranger's face is named stays `stranger_rate` however
large the gallery. Beyond `max_blur`, or below `min_face_px`, no threshold names a useful share of
residents without risking strangers: the face is "unrecognisable" rather than a guess or an
unknown.

Look-alikes: a face within the accept distance of one resident may be nearly as close to another
(two residents who look alike, one blurred). It is named only when the nearest *other* resident
is at least `runner_up` times as far (calibrated on LFW like the rest: bench/calibrate.py);
otherwise it names nobody rather than perhaps the wrong resident.

Confidence (0-100) says how far inside the accept distance a distance lies:
`100 * (1 - distance / (2 * threshold))`, clipped; 50 = exactly at the threshold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources

import numpy as np

from app.domain import Match

# Relative blur levels at which enrollment photos are also embedded blurred (sigma / face width).
BLUR_LEVELS = (0.01, 0.015, 0.0225, 0.034, 0.05)
_SHARP = 0.007  # below this relative blur a face is compared with the clean photos only


def distances(probes: np.ndarray, gallery: np.ndarray, metric: str) -> np.ndarray:
    """(m, d) x (n, d) -> (m, n) distance matrix, euclidean or cosine; never negative (rounding
    makes the cosine distance of a vector to itself slightly so, shown as "-0.000")."""
    if metric == "cosine":
        a = probes / np.maximum(np.linalg.norm(probes, axis=1, keepdims=True), 1e-12)
        b = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
        return np.maximum(1.0 - a @ b.T, 0.0)
    sq = (
        np.sum(probes**2, axis=1)[:, None]
        + np.sum(gallery**2, axis=1)[None, :]
        - 2.0 * probes @ gallery.T
    )
    return np.sqrt(np.maximum(sq, 0.0))


def confidence(distance: float, threshold: float) -> int:
    return round(100 * min(1.0, max(0.0, 1.0 - distance / (2.0 * threshold))))


def blur_sigma(kernel: int) -> float:
    """The sigma OpenCV uses for a Gaussian kernel size when given sigma 0 (as the blur is)."""
    return 0.3 * ((kernel - 1) * 0.5 - 1) + 0.8 if kernel >= 3 else 0.0


def kernel_for_sigma(sigma: float) -> int:
    """The odd kernel size whose OpenCV default sigma is closest to `sigma` (0 for none)."""
    if sigma < 0.5:
        return 0
    return max(3, 2 * round((sigma - 0.8) / 0.3 + 1) + 1)


def relative_blur(kernel: int, face_px: float) -> float:
    """Blur sigma as a fraction of the face's width: what decides how much identity survives."""
    return blur_sigma(kernel) / max(face_px, 1.0)


def blur_level(relative: float) -> float | None:
    """The enrollment blur level nearest `relative` (in log scale), None for a sharp face."""
    if relative < _SHARP:
        return None
    return min(BLUR_LEVELS, key=lambda level: abs(math.log(level / relative)))


@dataclass(frozen=True)
class TailCurve:
    """How close strangers come, by relative blur: at each calibrated blur level, the distance
    below which a stranger's face falls with probability 10**log_rate (for each `log_rates`),
    measured on LFW where the data reach and extrapolated beyond (bench/calibrate.py)."""

    blur: tuple[float, ...]
    log_rates: tuple[float, ...]  # decreasing, e.g. -1.0 ... -8.0
    distance: tuple[tuple[float, ...], ...]  # [blur level][log rate]

    def at(self, relative: float, log_rate: float) -> float:
        """Distance at this relative blur and per-comparison rate (interpolated; held beyond
        the calibrated range)."""
        by_level = [
            float(np.interp(-log_rate, [-r for r in self.log_rates], row)) for row in self.distance
        ]
        return float(np.interp(relative, self.blur, by_level))


@dataclass(frozen=True)
class BlurCurve:
    """One distance per calibrated relative blur (interpolated between, held beyond)."""

    blur: tuple[float, ...]
    distance: tuple[float, ...]

    def at(self, relative: float) -> float:
        return float(np.interp(relative, self.blur, self.distance))


# Per-appearance evidence: observations x residents distances -> one score per resident, judged
# by the rule's `appearance-<fusion>` curve (fitted on LFW appearances: bench/calibrate.py).
FUSIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda d: d.mean(axis=0),
    "min": lambda d: d.min(axis=0),
}
WINDOW_FUSION = "min"  # the fusion a track's windows are judged by (app/pipeline/tracking.py)


def curve_mode(fusion: str) -> str:
    """The rule's curve for appearances scored by `fusion`."""
    return f"appearance-{fusion}"


@dataclass(frozen=True)
class AcceptRule:
    """When the nearest resident may be named; see the module docstring."""

    curves: dict[str, TailCurve]  # mode -> curve
    stranger_rate: float  # designed chance that one stranger's face is named
    max_blur: float  # relative blur beyond which a face is unrecognisable
    min_face_px: float  # faces narrower than this are unrecognisable at any blur
    fixed: float | None = None  # MATCH_THRESHOLD: one accept distance for everything
    runner_up: float = 1.0  # the nearest other resident must be this many times as far
    # windows of a track (app/pipeline/tracking.py): `window` distinct observations, judged by
    # the WINDOW_FUSION curve; an observation is distinct when at least `distinct` (by its
    # relative blur) from every one counted before. window 0: no windows (votes only).
    window: int = 0
    distinct: BlurCurve | None = None

    @classmethod
    def load(cls, model: str, fixed: float | None = None) -> AcceptRule:
        """The calibrated rule of `model` from `acceptance.json` (written by bench/calibrate.py);
        a model without calibration gets DeepFace's verification threshold, unadjusted."""
        text = resources.files("app.pipeline").joinpath("acceptance.json").read_text()
        raw = json.loads(text)["models"].get(model)
        if raw is None:
            return cls({}, 0.0, math.inf, 0.0, fixed or _deepface_default(model))
        curves = {
            mode: TailCurve(
                tuple(c["blur"]),
                tuple(c["log_rates"]),
                tuple(tuple(row) for row in c["distance"]),
            )
            for mode, c in raw["curves"].items()
        }
        distinct = raw.get("distinct")
        return cls(
            curves,
            raw["stranger_rate"],
            raw["max_blur"],
            raw["min_face_px"],
            fixed,
            raw.get("runner_up", 1.0),
            raw.get("window", 0) if distinct else 0,
            BlurCurve(tuple(distinct["blur"]), tuple(distinct["distance"])) if distinct else None,
        )

    @property
    def windows(self) -> bool:
        """Whether tracks are judged by windows of distinct observations (calibrated, and not
        replaced by one fixed distance)."""
        return (
            self.fixed is None
            and self.window > 0
            and self.distinct is not None
            and curve_mode(WINDOW_FUSION) in self.curves
        )

    def recognisable(self, relative: float, face_px: float) -> bool:
        return relative <= self.max_blur and face_px >= self.min_face_px

    def threshold(self, relative: float, comparisons: int, mode: str = "gallery") -> float:
        """Accept distance at this relative blur against `comparisons` enrolled photos: where
        a stranger's face comes that close to one photo with chance `stranger_rate / N`."""
        if self.fixed is not None:
            return self.fixed
        log_rate = math.log10(self.stranger_rate / max(1, comparisons))
        return self.curves[mode].at(relative, log_rate)

    def pair_to_gallery(self, relative: float, comparisons: int = 1) -> float:
        """How a distance between two faces blurred alike ("pair" mode) compares with a distance
        to an enrolled photo ("gallery" mode) at this relative blur: the ratio of the two modes'
        accept distances for `comparisons` comparisons. Faces blurred alike look alike, so pair
        distances run smaller; 1 for an uncalibrated model."""
        if not {"gallery", "pair"} <= self.curves.keys():
            return 1.0
        log_rate = math.log10(self.stranger_rate / max(1, comparisons))
        relative = min(relative, self.max_blur)
        return self.curves["gallery"].at(relative, log_rate) / self.curves["pair"].at(
            relative, log_rate
        )

    def judge(
        self,
        distance: float,
        name: str | None,
        relative: float,
        face_px: float,
        comparisons: int,
        rival: float = math.inf,
        mode: str = "gallery",
    ) -> Match:
        """The verdict for a face whose nearest resident is `name` at `distance` and whose
        nearest other resident is at `rival`."""
        threshold = self.threshold(min(relative, self.max_blur), comparisons, mode)
        if not self.recognisable(relative, face_px):
            return Match(None, distance, threshold, 0, unrecognisable=True)
        if name is None or distance > threshold or rival < self.runner_up * distance:
            return Match(None, distance, threshold, 0)
        return Match(name, distance, threshold, confidence(distance, threshold))


def _deepface_default(model: str) -> float:
    from deepface.config.threshold import thresholds

    return float(thresholds.get(model, {}).get("cosine", 0.4))


@dataclass(frozen=True)
class SeenFaces:
    """Faces a camera saw, confirmed as one resident (app/residents/positives.py): their
    embeddings (k, d) and the relative blur each was seen at (k,)."""

    vectors: np.ndarray
    blur: np.ndarray


@dataclass(frozen=True)
class GalleryIndex:
    """All usable enrollment embeddings of one gallery, one row per photo: clean, and blurred to
    each of BLUR_LEVELS (same rows), so that a blurred face is compared like with like."""

    names: tuple[str, ...]  # resident name of each row
    vectors: np.ndarray  # (n, d) float32, clean enrollment photos
    blurred: dict[float, np.ndarray] = field(default_factory=dict)  # level -> (n, d)
    # resident -> (k, d): faces marked "not this resident" (app/residents/negatives.py)
    negatives: dict[str, np.ndarray] = field(default_factory=dict)
    # blur level -> (names, (k, d)): faces a camera saw blurred, confirmed as residents; each is
    # compared only with faces blurred like it (the level nearest its relative blur)
    seen: dict[float, tuple[tuple[str, ...], np.ndarray]] = field(default_factory=dict)

    @property
    def residents(self) -> list[str]:
        return sorted(set(self.names))

    def with_faces(self, faces: dict[str, SeenFaces]) -> GalleryIndex:
        """This index with the faces confirmed as each resident (of this index). A face seen
        sharp (no blur level) is one more row, standing for itself in the clean and every blurred
        view; a face seen blurred is one of its resident's views at the level nearest its
        relative blur only, like an enrollment photo's blurred view, not a clean photo standing
        for every level."""
        if not faces:
            return self
        sharp: list[tuple[str, np.ndarray]] = []
        by_level: dict[float, list[tuple[str, np.ndarray]]] = {}
        for name, face in faces.items():
            for vector, relative in zip(face.vectors, face.blur, strict=True):
                level = blur_level(float(relative))
                rows = sharp if level is None else by_level.setdefault(level, [])
                rows.append((name, vector))
        extra = np.array([v for _, v in sharp], np.float32).reshape(-1, self.vectors.shape[1])
        seen = dict(self.seen)
        for level, rows in by_level.items():
            names, vectors = seen.get(level, ((), extra[:0]))
            added = np.array([v for _, v in rows], np.float32)
            seen[level] = (names + tuple(n for n, _ in rows), np.concatenate([vectors, added]))
        return replace(
            self,
            names=self.names + tuple(n for n, _ in sharp),
            vectors=np.concatenate([self.vectors, extra]),
            blurred={k: np.concatenate([v, extra]) for k, v in self.blurred.items()},
            seen=seen,
        )

    def views(self, relative: float) -> tuple[tuple[str, ...], np.ndarray]:
        """Every stored face a face at this relative blur is compared with like with like: each
        row's view blurred like it (clean for a sharp face), then the faces seen at its level."""
        level = blur_level(relative)
        rows = self.vectors if level is None else self.blurred.get(level, self.vectors)
        names, seen = self.seen[level] if level in self.seen else ((), rows[:0])
        return self.names + names, np.concatenate([rows, seen])

    def fused(self, probe: np.ndarray, relative: float, metric: str) -> np.ndarray:
        """Distance of one probe to every row: the mean of the distances to the clean photo and
        to the photo blurred like the probe (clean only for a sharp face)."""
        clean = distances(probe[None], self.vectors, metric)[0]
        level = blur_level(relative)
        if level is None or level not in self.blurred:
            return clean
        return (clean + distances(probe[None], self.blurred[level], metric)[0]) / 2

    def rows(
        self,
        probe: np.ndarray,
        relative: float,
        metric: str,
        rule: AcceptRule | None,
        tries: int = 1,
    ) -> tuple[tuple[str, ...], np.ndarray]:
        """Every row a probe at this relative blur is compared with (names), and its distance to
        each, in the gallery's currency. Without a rule (calibration: bench/calibrate.py), the
        enrolled photos only."""
        dist = self.fused(probe, relative, metric)
        names = self.names
        level = blur_level(relative)
        if rule is not None and level in self.seen:
            # faces a camera saw blurred like the probe: "pair" distances, which run smaller
            # than distances to an enrolled photo for strangers too, so they are scaled into
            # the gallery's currency at this gallery's size. Unscaled, strangers were named
            # (33 of 1,400 faces at 110 px, k = 25: bench/lfw_confirmed.py).
            seen_names, seen = self.seen[level]
            names = names + seen_names
            seen_scale = rule.pair_to_gallery(relative, len(names) * tries)
            seen_dist = distances(probe[None], seen, metric)[0] * seen_scale
            dist = np.concatenate([dist, seen_dist])
        return names, dist

    def match(
        self,
        probes: np.ndarray,
        face_px: list[float],
        kernel: int,
        metric: str,
        rule: AcceptRule,
        tries: int = 1,
    ) -> list[Match]:
        """Nearest resident of each probe row, named only when the rule accepts it; `tries`:
        how many faces share the stranger rate (bench/appearance.py), each then judged
        as if the gallery were that many times larger."""
        out = []
        for probe, width in zip(probes, face_px, strict=True):
            relative = relative_blur(kernel, width)
            if not self.names:
                out.append(rule.judge(math.inf, None, relative, width, 1))
                continue
            names, dist = self.rows(probe, relative, metric, rule, tries)
            best = int(np.argmin(dist))
            name: str | None = names[best]
            if self.refuted(probe, name, float(dist[best]), metric, rule.pair_to_gallery(relative)):
                name = None
            rival = _rival(dist, names, names[best])
            judged = rule.judge(float(dist[best]), name, relative, width, len(names) * tries, rival)
            out.append(replace(judged, nearest=names[best]))
        return out

    def resident_distances(
        self,
        probes: np.ndarray,
        relative: list[float],
        metric: str,
        rule: AcceptRule | None = None,
    ) -> tuple[list[str], np.ndarray, int]:
        """The residents, each probe's distance to each resident's nearest row (observations,
        residents), and the most rows a probe was compared with. With a rule, a resident refuted
        for a probe (`refuted`) is infinitely far from it."""
        residents = self.residents
        out, compared = [], 0
        for probe, r in zip(probes, relative, strict=True):
            names, dist = self.rows(probe, r, metric, rule)
            compared = max(compared, len(names))
            owners = np.asarray(names)
            nearest = np.array([dist[owners == name].min() for name in residents])
            for i, name in enumerate(residents):
                if rule and self.refuted(
                    probe, name, float(nearest[i]), metric, rule.pair_to_gallery(r)
                ):
                    nearest[i] = math.inf
            out.append(nearest)
        return residents, np.stack(out), compared

    def judge_appearance(
        self,
        probes: np.ndarray,
        face_px: list[float],
        kernel: int,
        metric: str,
        rule: AcceptRule,
        fusion: str = WINDOW_FUSION,
    ) -> Match:
        """One verdict for one appearance of a face (`probes`: one embedding per observation,
        `face_px`: their widths): each observation's distance to each resident, fused over the
        observations by `fusion`, judged by the rule's `appearance-<fusion>` curve, where a
        *stranger's appearance* comes that close to one enrolled photo with chance
        `stranger_rate / N`. Unrecognisable when most observations are; the look-alike guard
        applies as to single faces."""
        relative = [relative_blur(kernel, w) for w in face_px]
        usable = [i for i, w in enumerate(face_px) if rule.recognisable(relative[i], w)]
        if 2 * len(usable) < len(face_px) or not usable:
            threshold = rule.threshold(rule.max_blur, 1)
            return Match(None, math.inf, threshold, 0, unrecognisable=True)
        usable_relative = [relative[i] for i in usable]
        mean_relative = float(np.mean(usable_relative))
        if not self.names:
            return rule.judge(math.inf, None, mean_relative, max(face_px), 1)
        residents, d, compared = self.resident_distances(
            probes[usable], usable_relative, metric, rule
        )
        scores = FUSIONS[fusion](d)
        best = int(np.argmin(scores))
        rival = float(np.delete(scores, best).min()) if len(scores) > 1 else math.inf
        return rule.judge(
            float(scores[best]),
            residents[best] if np.isfinite(scores[best]) else None,
            mean_relative,
            max(face_px[i] for i in usable),
            compared,
            rival,
            curve_mode(fusion),
        )

    def refuted(
        self, probe: np.ndarray, name: str | None, distance: float, metric: str, scale: float = 1.0
    ) -> bool:
        """True when the probe is closer to a face marked "not `name`" than to `name`'s nearest
        enrolled photo (`distance`): it looks more like that stranger than like the resident.
        A negative is a face seen blurred like the probe, so its distance is first scaled by
        `scale` (`AcceptRule.pair_to_gallery`) to compare like with like: unscaled, blurred
        residents were refuted by blurred strangers' negatives (bench/feedback.py on LFW)."""
        negatives = self.negatives.get(name or "")
        if negatives is None or not len(negatives):
            return False
        return float(distances(probe[None], negatives, metric).min()) * scale < distance


def _rival(dist: np.ndarray, names: tuple[str, ...], name: str) -> float:
    """The smallest of `dist` (one distance per row of `names`) among rows of residents other
    than `name` (infinite when there are none)."""
    others = np.asarray(names) != name
    return float(dist[others].min()) if others.any() else math.inf
