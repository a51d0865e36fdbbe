"""Tables, JSON lines and the privacy-utility plot of `python -m bench.accuracy --lfw DIR`."""

from __future__ import annotations

import json
import platform
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from app.pipeline.matching import AcceptRule
from bench import lfw_appearances, lfw_confirmed
from bench.calibrate import fit_rule
from bench.lfw_protocols import (
    FACE_SIZES,
    GALLERIES,
    HOUSEHOLD_KERNELS,
    PAIR_FACE_PX,
    PAIR_KERNELS,
    Bench,
)

Rules = list[tuple[AcceptRule, list[int]]]  # a rule and the folds it is judged on


def report(
    root: Path, cv: bool, as_json: bool, plot: Path | None, runner_up: float | None = None
) -> None:
    bench = Bench.open(root)
    for kernel, face_px in bench.conditions():  # embed everything first, with progress bars
        bench.probes(kernel, face_px)
    for kernel in lfw_confirmed.KERNELS:
        bench.faces(lfw_confirmed.photos(bench), kernel, lfw_confirmed.FACE_PX)
    for kernel in lfw_appearances.KERNELS:
        bench.faces(lfw_appearances.photos(bench), kernel, lfw_appearances.FACE_PX)
    rules = _rules(bench, cv)
    if runner_up is not None:
        rules = [(replace(rule, runner_up=runner_up), folds) for rule, folds in rules]
    out = sys.stdout
    if not as_json:
        print(f"# machine: {platform.machine()}; {bench.analyzer.model_info()}")
        print(f"# LFW {root}: folds {bench.folds} of pairs.txt; {bench.describe()}")
        print(
            "# "
            + (
                "held-out: each fold judged by a rule fitted on the other folds"
                if cv
                else "shipped rule, judged on the folds it was fitted on (optimistic)"
            )
        )
        print(f"# look-alike guard runner_up per rule: {[r.runner_up for r, _ in rules]}")
    pair_rows = [
        _pairs(bench, rules, k, mode) for k in PAIR_KERNELS for mode in ("gallery", "pair")
    ]
    household_rows = [
        _household(bench, rules, k, px, size)
        for size in GALLERIES
        for px in FACE_SIZES
        for k in HOUSEHOLD_KERNELS
    ]
    confirmed_rows = [
        _confirmed(bench, rules, k, confirmed)
        for k in lfw_confirmed.KERNELS
        for confirmed in (False, True)
    ]
    appearance_rows = [
        row for k in lfw_appearances.KERNELS for row in _appearances(bench, rules, k)
    ]
    if as_json:
        for row in pair_rows + household_rows + confirmed_rows + appearance_rows:
            out.write(json.dumps(row) + "\n")
    else:
        _print_pairs(pair_rows)
        _print_household(household_rows)
        print("\n## Household: 20 residents, 1 clean photo + 2 confirmed faces at the probe's k\n")
        _print_cells(confirmed_rows)
        print("\n## Appearances of 5 photos; 20 residents, 1 clean photo each\n")
        _print_cells(appearance_rows)
    if plot:
        _plot(household_rows, plot)


def _rules(bench: Bench, cv: bool) -> Rules:
    if not cv:
        return [(AcceptRule.load(bench.analyzer.embedder.name), bench.folds)]
    rules = []
    for fold in bench.folds:
        others = [f for f in bench.folds if f != fold]
        appearances, distinct = lfw_appearances.calibration(bench, others)
        rules.append((fit_rule(*bench.calibration_samples(others), appearances, distinct), [fold]))
    return rules


def _pairs(bench: Bench, rules: Rules, kernel: int, mode: str) -> dict:
    cells = [(bench.pairs(rule, folds, kernel, mode), len(folds)) for rule, folds in rules]
    weight = sum(n for _, n in cells)
    row = {
        key: round(sum(c[key] * n for c, n in cells) / weight, 4)
        for key in ("far", "tar", "no_face", "unrecognisable", "best_acc")
    }
    row["tar_at_far_0.1%"] = round(bench.tar_at_far(bench.folds, kernel, mode), 4)
    return {"protocol": "pairs", "k": kernel, "mode": mode, "face_px": PAIR_FACE_PX, **row}


def _household(
    bench: Bench, rules: Rules, kernel: int, face_px: int, size: tuple[int, int]
) -> dict:
    counts: Counter[str] = Counter()
    for rule, folds in rules:
        counts += bench.household(rule, folds, kernel, face_px, size)
    return _cells("household", kernel, f"{size[0]}x{size[1]}", face_px, counts)


def _confirmed(bench: Bench, rules: Rules, kernel: int, confirmed: bool) -> dict:
    counts: Counter[str] = Counter()
    for rule, folds in rules:
        counts += lfw_confirmed.household(bench, rule, folds, kernel, confirmed)
    mode = "20x(1+2 confirmed)" if confirmed else "20x1 (same draws)"
    return _cells("confirmed", kernel, mode, lfw_confirmed.FACE_PX, counts)


def _appearances(bench: Bench, rules: Rules, kernel: int) -> list[dict]:
    counts: dict[str, Counter[str]] = {m: Counter() for m in lfw_appearances.METHODS}
    for rule, folds in rules:
        judged = lfw_appearances.household(bench, rule, folds, kernel)
        for method, c in judged.items():
            counts[method] += c
    return [
        _cells("appearance", kernel, method, lfw_appearances.FACE_PX, c)
        for method, c in counts.items()
        if c
    ]


def _cells(protocol: str, kernel: int, mode: str, face_px: int, counts: Counter[str]) -> dict:
    """One table row from outcome counts (`role_verdict` keys: bench/lfw_protocols.py)."""
    residents = sum(v for k, v in counts.items() if k.startswith("resident_"))
    strangers = sum(v for k, v in counts.items() if k.startswith("stranger_"))
    faces = max(1, residents + strangers)
    return {
        "protocol": protocol,
        "k": kernel,
        "mode": mode,
        "face_px": face_px,
        "far": round(counts["stranger_named"] / max(1, strangers), 5),
        "tar": round(counts["resident_right"] / max(1, residents), 4),
        "misnamed": counts["resident_named"],
        "strangers_named": counts["stranger_named"],
        "no_face": round((counts["resident_no_face"] + counts["stranger_no_face"]) / faces, 4),
        "unrecognisable": round(
            (counts["resident_unrecognisable"] + counts["stranger_unrecognisable"]) / faces, 4
        ),
        "resident_faces": residents,
        "stranger_faces": strangers,
    }


def _print_pairs(rows: list[dict]) -> None:
    print("\n## Pairs (faces ~110 px)\n")
    print(
        "| k | mode | best-threshold acc | TAR at FAR 0.1 % | rule: FAR | rule: TAR "
        "| no face | unrecognisable |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['k']} | {r['mode']} | {r['best_acc']:.1%} | {r['tar_at_far_0.1%']:.1%} "
            f"| {r['far']:.2%} | {r['tar']:.1%} | {r['no_face']:.1%} | {r['unrecognisable']:.1%} |"
        )


def _print_household(rows: list[dict]) -> None:
    print("\n## Household (residents x enrollment photos; faces ~N px)\n")
    _print_cells(rows)


def _print_cells(rows: list[dict]) -> None:
    print(
        "| gallery | face px | k | residents named right | misnamed | strangers named "
        "| unrecognisable | no face |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['mode']} | {r['face_px']} | {r['k']} | {r['tar']:.1%} "
            f"({r['resident_faces']} faces) | {r['misnamed']} | {r['strangers_named']}/"
            f"{r['stranger_faces']} | {r['unrecognisable']:.1%} | {r['no_face']:.1%} |"
        )


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for px in sorted(FACE_SIZES):
        cells = sorted(
            (r["k"], r["tar"]) for r in rows if r["mode"] == "20x1" and r["face_px"] == px
        )
        ax.plot([k for k, _ in cells], [100 * t for _, t in cells], marker="o", label=f"{px} px")
    ax.set_xlabel("privacy parameter k (Gaussian kernel)")
    ax.set_ylabel("residents named right (%)")
    ax.set_title("20 residents, 1 photo each; no stranger may be named")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(title="face width")
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path}", file=sys.stderr)
