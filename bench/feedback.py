"""What "that was not me" does (app/residents/negatives.py): a face named wrongly is marked wrong
once, and the same person is then looked for again in their other photos.

    python -m bench.feedback                 # a loose fixed threshold (0.12): wrong names happen
    python -m bench.feedback --threshold 0   # the shipped open-set rule

Test photos (`tests/data/faces`), set up as bench/accuracy.py: gallery = the first photo of each
of the first 10 people; probes = every other photo, blurred with k. The shipped rule, and even
DeepFace's own Dlib threshold (0.07), name no one wrongly on these photos, so by default a looser
fixed threshold (0.12) is used, under which wrong names do happen. For each person named wrongly
as resident X, the first such photo is marked wrong: its embedding becomes a negative of X. Then
every probe is matched again. Printed per k: wrong namings before and after (the marked photos
themselves, and the person's other photos still named X), and residents named right before and
after.
"""

from __future__ import annotations

import argparse
import platform
from dataclasses import replace

import numpy as np

from app.config import Settings
from app.pipeline.matching import AcceptRule
from app.pipeline.privacy import PrivacyLevel
from app.services import Services
from bench.accuracy import ENROLLED_PEOPLE, embed_all, enroll_all, photo_split

KERNELS = (0, 9, 17)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=0.12, help="0: the shipped rule")
    args = parser.parse_args()
    analyzer = Services.build(Settings()).recognition.analyzer
    rule = replace(analyzer.rule, fixed=args.threshold) if args.threshold else analyzer.rule
    metric = analyzer.embedder.metric
    labels, gallery_files, probes = photo_split()
    files, people = sorted(labels), sorted(set(labels.values()))
    index = enroll_all(analyzer, gallery_files)
    print(f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}")
    print(f"# {analyzer.model_info()}; rule: {_rule_name(rule)}")
    print(f"# {len(probes)} probe photos of {len(people)} people, {ENROLLED_PEOPLE} enrolled")
    print()
    print(
        "| k | named wrongly before | marked wrong | marked photos named again "
        "| other photos still named the same | residents named right before → after |"
    )
    print("|---|---|---|---|---|---|")
    for k in KERNELS:
        embedded = embed_all(analyzer, files, k, analyzer.profile(PrivacyLevel(k)))
        faces = {f: v for f, v in embedded.items() if v is not None and f in probes}
        before = _names(index, faces, k, metric, rule)
        wrong = {f: n for f, n in before.items() if n is not None and labels[n] != labels[f]}
        marked: dict[tuple[str, str], str] = {}  # (person, resident named) -> the photo marked
        for f, n in sorted(wrong.items()):
            marked.setdefault((labels[f], n), f)
        negatives: dict[str, list[np.ndarray]] = {}
        for (_, resident), f in marked.items():
            negatives.setdefault(resident, []).append(faces[f][0])
        after = _names(
            replace(index, negatives={n: np.stack(v) for n, v in negatives.items()}),
            faces,
            k,
            metric,
            rule,
        )
        again = sum(after[f] == before[f] for f in marked.values())
        others = [
            f for f, n in wrong.items() if f not in marked.values() and (labels[f], n) in marked
        ]
        still = sum(after[f] == before[f] for f in others)
        right_before = sum(before[f] is not None and labels[before[f]] == labels[f] for f in faces)
        right_after = sum(after[f] is not None and labels[after[f]] == labels[f] for f in faces)
        total = len([f for f in faces if labels[f] in _enrolled(labels, index)])
        print(
            f"| {k} | {len(wrong)} | {len(marked)} | {again}/{len(marked)} "
            f"| {still}/{len(others)} | {right_before}/{total} → {right_after}/{total} |",
            flush=True,
        )


def _names(index, faces, k, metric, rule) -> dict[str, str | None]:
    return {f: index.match(v[None], [w], k, metric, rule)[0].name for f, (v, w) in faces.items()}


def _enrolled(labels: dict[str, str], index) -> set[str]:
    return {labels[n] for n in index.names}


def _rule_name(rule: AcceptRule) -> str:
    return f"fixed {rule.fixed}" if rule.fixed is not None else "shipped open-set rule"


if __name__ == "__main__":
    main()
