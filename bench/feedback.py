"""What "that was not me" does (app/residents/negatives.py): a face named wrongly is marked wrong
once, and the same person is then looked for again in their other photos.

    python -m bench.feedback                 # a loose fixed threshold (0.12): wrong names happen
    python -m bench.feedback --threshold 0   # the shipped open-set rule
    python -m bench.feedback --lfw ../shared/lfw [--threshold T]   # LFW development folds

Test photos (`tests/data/faces`), set up as bench/accuracy.py: gallery = the first photo of each
of the first 10 people; probes = every other photo, blurred with k. The shipped rule, and even
DeepFace's own Dlib threshold (0.07), name no one wrongly on these photos, so by default a looser
fixed threshold (0.12) is used, under which wrong names do happen. For each person named wrongly
as resident X, the first such photo is marked wrong: its embedding becomes a negative of X. Then
every probe is matched again. Printed per k: wrong namings before and after (the marked photos
themselves, and the person's other photos still named X), and residents named right before and
after.

With `--lfw DIR` (bench/lfw_protocols.py's sample of LFW's development folds, faces ~110 px,
k in LFW_KERNELS): per fold, every other sampled resident identity (by name) is enrolled (its
first photo, first three with 4+), the others and the fold's single-photo identities are
strangers; probes = each identity's probe photos (up to two per multi-photo identity). Every
person named wrongly as resident X has their first such photo marked wrong at that k; printed:
how many of those people are still named X in any of their photos at the same k (the target:
none), and the share of resident probes named right before and after (the target: a drop of at
most 1 point).
"""

from __future__ import annotations

import argparse
import platform
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from app.config import Settings
from app.pipeline.matching import AcceptRule
from app.pipeline.privacy import PrivacyLevel
from app.services import Services
from bench.accuracy import ENROLLED_PEOPLE, embed_all, enroll_all, photo_split
from bench.lfw import LFW_FACE_PX
from bench.lfw_protocols import Bench

KERNELS = (0, 9, 17)
LFW_KERNELS = (0, 17, 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=0.12, help="0: the shipped rule")
    parser.add_argument("--lfw", type=Path, help="LFW in its official layout: bench on it")
    args = parser.parse_args()
    if args.lfw:
        lfw(args.lfw, args.threshold)
        return
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
        right_before, right_after = _named_right(before, labels), _named_right(after, labels)
        total = len([f for f in faces if labels[f] in _enrolled(labels, index)])
        print(
            f"| {k} | {len(wrong)} | {len(marked)} | {again}/{len(marked)} "
            f"| {still}/{len(others)} | {right_before}/{total} → {right_after}/{total} |",
            flush=True,
        )


def lfw(root: Path, threshold: float) -> None:
    bench = Bench.open(root)
    analyzer, s = bench.analyzer, bench.sample
    rule = replace(analyzer.rule, fixed=threshold) if threshold else analyzer.rule
    metric = analyzer.embedder.metric
    print(f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}")
    print(f"# {analyzer.model_info()}; rule: {_rule_name(rule)}; LFW {bench.describe()}")
    print()
    print(
        "| k | probes named wrongly before | people marked wrong (once) | of them still named "
        "that resident at the same k | residents named right before → after | drop (points) |"
    )
    print("|---|---|---|---|---|---|")
    for k in LFW_KERNELS:
        probes = bench.probes(k, LFW_FACE_PX)
        tally: Counter[str] = Counter()
        for fold in bench.folds:
            names = sorted(n for n in s.residents if s.fold_of[n] == fold)
            enrolled = names[::2]
            people = names[1::2] + [n for n in s.strangers if s.fold_of[n] == fold]
            index, _ = bench.index([p for n in enrolled for p in s.residents[n]])
            who = {
                photo.key: name
                for name in enrolled + people
                for photo in s.probes[name]
                if probes[photo.key].vector is not None
            }
            faces = {key: (probes[key].found_vector, probes[key].face_px) for key in who}
            before = _names(index, faces, k, metric, rule)
            wrong = {f: n for f, n in before.items() if n is not None and n != who[f]}
            marked: dict[tuple[str, str], str] = {}  # (person, resident named) -> photo marked
            for f, n in sorted(wrong.items()):
                marked.setdefault((who[f], n), f)
            negatives: dict[str, list[np.ndarray]] = {}
            for (_, resident), f in marked.items():
                negatives.setdefault(resident, []).append(faces[f][0])
            refuted = {n: np.stack(v) for n, v in negatives.items()}
            after = _names(replace(index, negatives=refuted), faces, k, metric, rule)
            residents = [f for f in who if who[f] in enrolled]
            tally.update(
                wrong=len(wrong),
                marked=len(marked),
                again=sum(
                    any(after[f] == named for f in who if who[f] == person)
                    for person, named in marked
                ),
                residents=len(residents),
                right_before=sum(before[f] == who[f] for f in residents),
                right_after=sum(after[f] == who[f] for f in residents),
            )
        total = max(1, tally["residents"])
        right_before = 100 * tally["right_before"] / total
        right_after = 100 * tally["right_after"] / total
        print(
            f"| {k} | {tally['wrong']} | {tally['marked']} | {tally['again']}/{tally['marked']} "
            f"| {tally['right_before']}/{total} ({right_before:.1f} %) → "
            f"{tally['right_after']}/{total} "
            f"({right_after:.1f} %) | {right_before - right_after:.1f} |",
            flush=True,
        )


def _names(index, faces, k, metric, rule) -> dict[str, str | None]:
    return {f: index.match(v[None], [w], k, metric, rule)[0].name for f, (v, w) in faces.items()}


def _named_right(names: dict[str, str | None], labels: dict[str, str]) -> int:
    """How many of the faces (photo -> the resident photo it was named after, or None) were named
    after a photo of their own person."""
    return sum(n is not None and labels[n] == labels[f] for f, n in names.items())


def _enrolled(labels: dict[str, str], index) -> set[str]:
    return {labels[n] for n in index.names}


def _rule_name(rule: AcceptRule) -> str:
    return f"fixed {rule.fixed}" if rule.fixed is not None else "shipped open-set rule"


if __name__ == "__main__":
    main()
