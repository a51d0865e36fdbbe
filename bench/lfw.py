"""LFW in its official layout, and its photos run through the shipped pipeline (cached).

Layout (`--lfw DIR`): `DIR/<Name>/<Name>_NNNN.jpg` and `DIR/pairs.txt` in the View 2 format
(header `folds<TAB>pairs_per_half`, then per fold that many same-person lines `Name i j` and as
many different-person lines `Name1 i Name2 j`). Identities that appear in no fold are "extra":
used for calibration only, never for held-out figures.

Photos are scaled so that the face is about `face_px` wide (LFW faces are ~110 px in the 250 px
photo), blurred with kernel k exactly as the service blurs frames, then detected, aligned and
embedded by the service's own `Analyzer`. The face of an LFW photo is the one nearest the centre.
Embeddings are cached on disk (`bench/out/`), keyed by photo, k, face size and chip profile.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from app.domain import Box
from app.pipeline.analyze import Analyzer
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from tests.media import read_image

LFW_FACE_PX = 110  # typical face width in an LFW photo
CACHE_DIR = Path(__file__).resolve().parent / "out"
CONFIRMABLE_PER_FOLD = 25  # identities with 4+ photos drawn for the "1 clean + 2 confirmed" test
WALK = 5  # photos of one identity that make one appearance (a walk-by)


@dataclass(frozen=True)
class Photo:
    identity: str
    number: int  # 1-based, as in pairs.txt

    def path(self, root: Path) -> Path:
        return root / self.identity / f"{self.identity}_{self.number:04d}.jpg"

    @property
    def key(self) -> str:
        return f"{self.identity}/{self.number}"


@dataclass(frozen=True)
class Pair:
    first: Photo
    second: Photo
    same: bool
    fold: int


@dataclass(frozen=True)
class Lfw:
    root: Path
    photos: dict[str, tuple[Photo, ...]]  # identity -> its photos
    pairs: tuple[Pair, ...]
    fold_of: dict[str, int]  # identity -> the fold whose pairs name it (absent: extra)

    @classmethod
    def load(cls, root: Path) -> Lfw:
        photos = {
            d.name: tuple(
                Photo(d.name, int(p.stem.rsplit("_", 1)[1])) for p in sorted(d.glob("*.jpg"))
            )
            for d in sorted(root.iterdir())
            if d.is_dir()
        }
        lines = (root / "pairs.txt").read_text().split("\n")
        folds, per_half = (int(x) for x in lines[0].split())
        pairs: list[Pair] = []
        fold_of: dict[str, int] = {}
        rows = [line.split("\t") for line in lines[1:] if line.strip()]
        for fold in range(folds):
            for row in rows[fold * 2 * per_half : (fold + 1) * 2 * per_half]:
                if len(row) == 3:
                    a, b = Photo(row[0], int(row[1])), Photo(row[0], int(row[2]))
                else:
                    a, b = Photo(row[0], int(row[1])), Photo(row[2], int(row[3]))
                pairs.append(Pair(a, b, a.identity == b.identity, fold))
                fold_of.setdefault(a.identity, fold)
                fold_of.setdefault(b.identity, fold)
        return cls(root, photos, tuple(pairs), fold_of)

    @property
    def folds(self) -> list[int]:
        return sorted({p.fold for p in self.pairs})

    def identities(self, folds: Iterable[int] | None) -> list[str]:
        """Identities of the given folds; `None` = the extra identities (in no fold)."""
        if folds is None:
            return [i for i in self.photos if i not in self.fold_of]
        wanted = set(folds)
        return [i for i in self.photos if self.fold_of.get(i) in wanted]


@dataclass(frozen=True)
class Embedded:
    vector: np.ndarray | None  # None: no face found
    face_px: float  # width of the detected face box in the scaled photo (0 when none)

    @property
    def found_vector(self) -> np.ndarray:
        """`vector`, for callers that kept only the photos a face was found in."""
        assert self.vector is not None, "no face was found in this photo"
        return self.vector


class PhotoEmbedder:
    """LFW photos through the shipped detector, aligner and embedder, with a disk cache.

    `probes` blurs and scales photos as the service would see them; `enrolled` embeds photos as
    the gallery enrolls them (clean, every view). The face is the detection nearest the centre
    (LFW's convention), without the verifier, which LFW's single centred faces do not need.
    """

    def __init__(self, analyzer: Analyzer, root: Path, shard: str = "") -> None:
        """`shard` names this process's cache file, so that several processes can embed
        different conditions at once; every shard's file is read."""
        self.analyzer, self.root = analyzer, root
        self._path = CACHE_DIR / f"lfw-embeddings{shard}.npz"
        self._cache: dict[str, np.ndarray] = {}
        self._foreign: set[str] = set()  # keys read from other shards' files
        for path in sorted(CACHE_DIR.glob("lfw-embeddings*.npz")):
            if ".tmp" not in path.name:
                with np.load(path) as data:
                    self._cache.update({k: data[k] for k in data.files})
                    if path != self._path:
                        self._foreign.update(data.files)
        self._dirty = 0

    def probes(self, photos: list[Photo], kernel: int, face_px: int) -> dict[str, Embedded]:
        """Each photo scaled to faces ~`face_px` wide, blurred with `kernel`, embedded."""
        profile = self.analyzer.profile(PrivacyLevel(kernel))
        rows = self._rows(
            photos,
            lambda p: f"probe|{p.key}|{kernel}|{face_px}|{profile.model_id}",
            lambda p: self._probe(p, kernel, face_px, profile.padding),
            f"probes k={kernel} face={face_px}px",
        )
        return {
            k: Embedded(None, 0.0) if len(r) == 1 else Embedded(r[1:], float(r[0]))
            for k, r in rows.items()
        }

    def enrolled(self, photos: list[Photo]) -> dict[str, dict[str, np.ndarray] | None]:
        """Each photo's face embedded in every enrollment view (view id -> vector)."""
        views = self.analyzer.view_ids()
        rows = self._rows(
            photos,
            lambda p: f"enrolled|{p.key}|{'+'.join(views)}",
            self._enrolled,
            "enrollment photos",
        )
        return {
            k: None if len(r) == 1 else dict(zip(views, r.reshape(len(views), -1), strict=True))
            for k, r in rows.items()
        }

    def _rows(self, photos, key_of, compute, label: str) -> dict[str, np.ndarray]:
        out, todo = {}, []
        for photo in photos:
            key = key_of(photo)
            if key in self._cache:
                out[photo.key] = self._cache[key]
            else:
                todo.append((photo, key))
        for photo, key in tqdm(todo, desc=label, file=sys.stderr, disable=not todo, leave=False):
            out[photo.key] = self._cache[key] = compute(photo)
            self._dirty += 1
            if self._dirty >= 200:
                self.save()
        self.save()
        return out

    def _frame(self, photo: Photo, kernel: int, face_px: int) -> BlurredFrame:
        image = read_image(photo.path(self.root))
        scale = face_px / LFW_FACE_PX
        if scale != 1.0:
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
        return PrivacyLevel(kernel).blur(image)

    def _central_box(self, frame: BlurredFrame) -> Box | None:
        boxes = self.analyzer.detector.detect(frame)
        if not boxes:
            return None
        cx, cy = frame.width / 2, frame.height / 2
        return min(boxes, key=lambda b: math.hypot(b.x + b.w / 2 - cx, b.y + b.h / 2 - cy))

    def _probe(self, photo: Photo, kernel: int, face_px: int, padding: float) -> np.ndarray:
        frame = self._frame(photo, kernel, face_px)
        box = self._central_box(frame)
        if box is None:
            return np.zeros(1, np.float32)
        vector = self.analyzer.embed(self.analyzer.aligner.align(frame, [box], padding))[0]
        return np.concatenate([[box.w], vector]).astype(np.float32)

    def _enrolled(self, photo: Photo) -> np.ndarray:
        frame = self._frame(photo, 0, LFW_FACE_PX)
        box = self._central_box(frame)
        if box is None:
            return np.zeros(1, np.float32)
        views = self.analyzer.embed_views(frame, box)
        return np.concatenate([views[v] for v in self.analyzer.view_ids()]).astype(np.float32)

    def save(self) -> None:
        if self._dirty:
            CACHE_DIR.mkdir(exist_ok=True)
            tmp = self._path.with_name(self._path.stem + ".tmp.npz")
            mine = {k: v for k, v in self._cache.items() if k not in self._foreign}
            np.savez(tmp, allow_pickle=False, **mine)  # np.load reads no pickles either
            tmp.replace(self._path)
            self._dirty = 0


@dataclass(frozen=True)
class Sample:
    """The photos one benchmark run uses, drawn per fold with a fixed seed.

    Residents: identities with 2+ photos; their first photo (first three when they have 4+) may
    be enrolled (a gallery of residents x 1 photo enrolls the first only), up to two of the rest
    are probes. Strangers: single-photo identities, each photo a
    probe. Pairs: the first `pairs` same-person and different-person lines of each fold.
    Confirmable: up to CONFIRMABLE_PER_FOLD identities with 4+ photos (drawn with their own seed,
    so that the draws above stay as they were): photo 1 enrolled clean, photos 2-3 the faces a
    camera saw and a user confirmed, photos 4-5 probes. Walks: every identity with WALK+ photos
    walks by once as WALK photos (photos 2-6 when it has a 1st photo to spare for enrollment).
    """

    residents: dict[str, tuple[Photo, ...]]  # identity -> enrollment photos
    probes: dict[str, tuple[Photo, ...]]  # identity -> probe photos (residents and strangers)
    strangers: tuple[str, ...]
    pairs: tuple[Pair, ...]
    fold_of: dict[str, int]
    confirmable: tuple[str, ...] = ()
    walks: dict[str, tuple[Photo, ...]] = field(default_factory=dict)

    @classmethod
    def draw(
        cls, lfw: Lfw, folds: list[int], residents: int, strangers: int, pairs: int, seed: int = 0
    ) -> Sample:
        rng, own_rng = np.random.default_rng(seed), np.random.default_rng(seed + 1)
        enrolled: dict[str, tuple[Photo, ...]] = {}
        probes: dict[str, tuple[Photo, ...]] = {}
        chosen_strangers: list[str] = []
        confirmable: list[str] = []
        walks: dict[str, tuple[Photo, ...]] = {}
        for fold in folds:
            names = lfw.identities([fold])
            multi = [n for n in names if len(lfw.photos[n]) >= 2]
            single = [n for n in names if len(lfw.photos[n]) == 1]
            for name in rng.permutation(multi)[:residents]:
                photos = lfw.photos[name]
                cut = 3 if len(photos) >= 4 else 1
                enrolled[name], probes[name] = photos[:cut], photos[cut : cut + 2]
            for name in rng.permutation(single)[:strangers]:
                chosen_strangers.append(name)
                probes[name] = lfw.photos[name]
            four = [n for n in multi if len(lfw.photos[n]) >= 4]
            confirmable += own_rng.permutation(four)[:CONFIRMABLE_PER_FOLD].tolist()
            for name in names:
                photos = lfw.photos[name]
                if len(photos) >= WALK:
                    walks[name] = photos[1 : WALK + 1] if len(photos) > WALK else photos
        chosen_pairs = tuple(
            p
            for fold in folds
            for same in (True, False)
            for p in [q for q in lfw.pairs if q.fold == fold and q.same == same][:pairs]
        )
        fold_of = {n: lfw.fold_of[n] for n in [*enrolled, *chosen_strangers, *confirmable, *walks]}
        return cls(
            enrolled,
            probes,
            tuple(chosen_strangers),
            chosen_pairs,
            fold_of,
            tuple(confirmable),
            walks,
        )

    def enrollment_photos(self) -> list[Photo]:
        return sorted(
            {*(p for ps in self.residents.values() for p in ps), *(p.first for p in self.pairs)},
            key=lambda p: p.key,
        )

    def probe_photos(self) -> list[Photo]:
        return sorted({p for ps in self.probes.values() for p in ps}, key=lambda p: p.key)

    def pair_photos(self) -> list[Photo]:
        return sorted({p for q in self.pairs for p in (q.first, q.second)}, key=lambda p: p.key)


def sampled_photos(description: str) -> list[Path]:
    """`--lfw DIR [--photos N] [--seed S]` from the command line: N photos of DIR drawn at random
    (the same ones for the same seed)."""
    import argparse
    import random

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lfw", type=Path, required=True, help="LFW in its official layout")
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return random.Random(args.seed).sample(sorted(args.lfw.glob("*/*.jpg")), args.photos)
