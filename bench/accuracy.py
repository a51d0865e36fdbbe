"""Accuracy under blur, with the shipped accept rule (app/pipeline/matching.py).

    python -m bench.accuracy                            # the project's own test photos
    python -m bench.accuracy --lfw ../shared/lfw --cv   # LFW protocols, held-out figures
    python -m bench.accuracy --lfw DIR --json           # one JSON object per cell per line
    python -m bench.accuracy --lfw DIR --plot out.png   # privacy-utility figure
    python -m bench.accuracy --lfw DIR --cv --runner-up 1   # ... without the look-alike guard

Test photos (`tests/data/faces`, 13 people, faces 150-300 px in <= 640 px photos; k = Gaussian
kernel applied to the photo, as the service does):
- verification: both photos of each of the 520 pairs blurred with k, largest face each, judged
  by the `pair` rule as `/faces/verify` does: accuracy, FAR, FRR, unrecognisable.
- identification: gallery = the first photo of each of the first 10 people, enrolled as the
  service enrolls (clean, plus its blurred views); probes = every other photo blurred with k;
  people 11-13 are never enrolled and must never be named. identified = named right;
  misnamed = named as another resident; stranger named = a stranger named as anyone.
- baseline, side by side: the simple pipeline of docs/recognition.md (same detector and
  landmarks, the dlib default chip padding 0.25, fixed threshold 0.6) on the same blurred pairs.
The LFW protocols are described in bench/lfw_protocols.py.
"""

from __future__ import annotations

import argparse
import csv
import platform
from pathlib import Path

import numpy as np

from app.config import Settings
from app.pipeline.analyze import Analyzer
from app.pipeline.embed import ChipProfile
from app.pipeline.gallery import view_id
from app.pipeline.matching import BLUR_LEVELS, GalleryIndex, distances, relative_blur
from app.pipeline.privacy import PrivacyLevel
from app.services import Services
from tests.media import read_image

FACES = Path(__file__).resolve().parent.parent / "tests" / "data" / "faces"
KERNELS = (0, 9, 17, 25, 35, 51)
ENROLLED_PEOPLE = 10
BASELINE = ChipProfile("baseline/pad0.25", 0.25), 0.6  # the simple pipeline of docs/recognition.md

Face = tuple[np.ndarray, float]  # embedding, face width


def embed_all(
    analyzer: Analyzer, files: list[str], kernel: int, profile: ChipProfile
) -> dict[str, Face | None]:
    """Largest face of each photo after blurring with `kernel`; None when no face is found."""
    out: dict[str, Face | None] = {}
    for name in files:
        frame = PrivacyLevel(kernel).blur(read_image(FACES / name))
        faces = analyzer.faces(frame, profile)
        if not faces:
            out[name] = None
            continue
        largest = max(faces, key=lambda f: f.box.area)
        out[name] = analyzer.embed([largest])[0], float(largest.box.w)
    return out


def photo_split() -> tuple[dict[str, str], list[str], list[str]]:
    """Identity of each test photo; the gallery (the first photo of each of the first
    ENROLLED_PEOPLE people); the probes (every other photo)."""
    with open(FACES / "labels.csv") as fh:
        labels = {r["file"]: r["identity"] for r in csv.DictReader(fh)}
    files = sorted(labels)
    people = sorted(set(labels.values()))
    gallery = [next(f for f in files if labels[f] == p) for p in people[:ENROLLED_PEOPLE]]
    return labels, gallery, [f for f in files if f not in gallery]


def enroll_all(analyzer: Analyzer, files: list[str]) -> GalleryIndex:
    """The gallery index the service would build from these photos (named by their file)."""
    profile = analyzer.embedder.profiles[0].model_id
    views = []
    for name in files:
        frame = PrivacyLevel(0).blur(read_image(FACES / name))
        box = max(analyzer.verified_boxes(frame), key=lambda b: b.area)
        views.append(analyzer.embed_views(frame, box))
    return GalleryIndex(
        tuple(files),
        np.stack([v[view_id(profile, None)] for v in views]),
        {level: np.stack([v[view_id(profile, level)] for v in views]) for level in BLUR_LEVELS},
    )


def verification(
    analyzer: Analyzer, pairs: list[tuple[str, str, bool]], faces: dict[str, Face | None], k: int
) -> tuple[float, float, float, float]:
    """Accuracy, FAR, FRR and unrecognisable share of the `pair` rule on blurred pairs."""
    rule, metric = analyzer.rule, analyzer.embedder.metric
    accepted, same, unrecognisable = [], [], 0
    for a, b, is_same in pairs:
        fa, fb = faces[a], faces[b]
        ok = False
        if fa is not None and fb is not None:
            width = min(fa[1], fb[1])
            relative = relative_blur(k, width)
            if rule.recognisable(relative, width):
                d = float(distances(fa[0][None], fb[0][None], metric)[0, 0])
                ok = d <= rule.threshold(relative, 1, "pair")
            else:
                unrecognisable += 1
        accepted.append(ok)
        same.append(is_same)
    acc, s = np.array(accepted), np.array(same)
    return (
        float((acc == s).mean()),
        float((acc & ~s).sum() / max(1, (~s).sum())),
        float((~acc & s).sum() / max(1, s.sum())),
        unrecognisable / len(pairs),
    )


def baseline(
    pairs: list[tuple[str, str, bool]], faces: dict[str, Face | None]
) -> tuple[float, float]:
    """Accuracy and FAR of the simple pipeline's fixed threshold."""
    accepted = []
    for a, b, _ in pairs:
        fa, fb = faces[a], faces[b]
        accepted.append(
            fa is not None
            and fb is not None
            and float(np.linalg.norm(fa[0] - fb[0])) <= BASELINE[1]
        )
    acc, s = np.array(accepted), np.array([same for _, _, same in pairs])
    return float((acc == s).mean()), float((acc & ~s).sum() / max(1, (~s).sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lfw", type=Path, help="LFW folder with pairs.txt: run its protocols")
    parser.add_argument("--cv", action="store_true", help="with --lfw: held-out figures")
    parser.add_argument("--json", action="store_true", help="with --lfw: one JSON object a line")
    parser.add_argument("--plot", type=Path, help="with --lfw: write the privacy-utility PNG")
    parser.add_argument(
        "--runner-up",
        type=float,
        help="with --lfw: this look-alike guard ratio instead of the fitted one (1 = no guard)",
    )
    args = parser.parse_args()
    if args.lfw:
        from bench.lfw_report import report

        report(args.lfw, cv=args.cv, as_json=args.json, plot=args.plot, runner_up=args.runner_up)
        return

    analyzer = Services.build(Settings()).recognition.analyzer
    metric = analyzer.embedder.metric
    with open(FACES / "pairs.csv") as fh:
        pairs = [(r["file_a"], r["file_b"], r["decision"] == "same") for r in csv.DictReader(fh)]
    labels, gallery_files, probe_files = photo_split()
    files = sorted(labels)
    people = sorted(set(labels.values()))
    enrolled = set(people[:ENROLLED_PEOPLE])
    index = enroll_all(analyzer, gallery_files)

    print(
        f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}; {analyzer.model_info()}"
    )
    print(
        f"# {len(pairs)} pairs ({sum(s for *_, s in pairs)} same), {len(files)} photos, "
        f"{len(people)} people"
    )
    print()
    print(
        "| k | verification acc | FAR | FRR | unrecognisable | identified | misnamed "
        "| stranger named | baseline acc / FAR |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for k in KERNELS:
        faces = embed_all(analyzer, files, k, analyzer.profile(PrivacyLevel(k)))
        acc, far, frr, unrec = verification(analyzer, pairs, faces, k)
        base_acc, base_far = baseline(pairs, embed_all(analyzer, files, k, BASELINE[0]))
        identified = misnamed = residents = stranger_named = strangers = 0
        for f in probe_files:
            face = faces[f]
            match = (
                index.match(face[0][None], [face[1]], k, metric, analyzer.rule)[0]
                if face is not None
                else None
            )
            named = labels[match.name] if match and match.name else None
            if labels[f] in enrolled:
                residents += 1
                identified += named == labels[f]
                misnamed += named is not None and named != labels[f]
            else:
                strangers += 1
                stranger_named += named is not None
        print(
            f"| {k} | {acc:.1%} | {far:.2%} | {frr:.2%} | {unrec:.1%} "
            f"| {identified / residents:.1%} | {misnamed}/{residents} "
            f"| {stranger_named}/{strangers} | {base_acc:.1%} / {base_far:.2%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
