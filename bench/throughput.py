"""Video throughput, peak memory and warm start, against the SIFIS original's naive approach.

    python -m bench.throughput [--runs 3] [--privacy 17] [--baseline-stride 5]
                               [--scenes simple,crowd]

The videos: 30 s at 25 fps made from the test photos (bench/synth_video.py):
- simple: 640x360, 1-3 large faces moving, a face-free second every 4 s;
- crowd: 640x360, up to 8 faces 40-200 px wide walking across, entering and leaving.
Figures (median of --runs, each in a fresh process so that caches and peak RSS are honest):
- ours at the default analysis rate (ANALYSIS_FPS) and analysing every frame: real-time factor
  = video seconds / wall seconds of the analysis (models already loaded), and the seconds per
  analysed frame spent in each stage (bench/stages.py);
- baseline: what the SIFIS original does, DeepFace `find` (same Dlib model, opencv detector) on
  every frame, timed on every --baseline-stride-th frame and extrapolated to all frames;
- peak RSS of the process running our pipeline;
- warm start: Services.build + gallery refresh with a cached 60-photo gallery, after imports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT / "tests" / "data" / "faces"
VIDEO_SECONDS, FPS = 30, 25.0


def _child(kind: str, workdir: Path, args: argparse.Namespace, scene: str = "simple") -> dict:
    """Run one measurement in a fresh interpreter and return its JSON line."""
    cmd = [sys.executable, "-m", "bench.throughput", "--child", kind, "--workdir", str(workdir)]
    cmd += ["--privacy", str(args.privacy), "--baseline-stride", str(args.baseline_stride)]
    cmd += ["--scenes", scene]
    env = {**os.environ, "STATE_DIR": str(workdir / "state"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours(workdir: Path, scene: str, privacy: int, analysis_fps: float) -> dict:
    from app.config import Settings
    from app.services import Services
    from bench.stages import StageClock

    recognition = Services.build(
        Settings(analysis_fps=analysis_fps, database_dir=workdir / "db")
    ).recognition
    gallery = recognition.gallery(workdir / "db")
    clock = StageClock().instrument(recognition.analyzer)
    start = time.perf_counter()
    result = recognition.recognize_file(
        workdir / f"{scene}.mp4", recognition.privacy(privacy), gallery
    )
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "analysed": result.analysed_frames,
        "frames": result.count_frames,
        "residents": [r.name for r in result.residents],
        "unknown": result.unknown_faces,
        "unrecognisable": result.unrecognisable_faces,
        "stages": clock.report(),
        "rss_mb": _peak_rss_mb(),
    }


def _baseline(workdir: Path, scene: str, privacy: int, stride: int) -> dict:
    import cv2

    from app.config import Settings
    from app.pipeline import models
    from bench.synth_video import open_video

    models.provision(Settings().weights_home.resolve())
    models.forbid_downloads()
    from deepface import DeepFace

    db = workdir / "baseline-db"
    shutil.copytree(workdir / "db", db, dirs_exist_ok=True)
    find = dict(db_path=str(db), model_name="Dlib", detector_backend="opencv", silent=True)
    video = open(workdir / f"{scene}.mp4", "rb")  # noqa: SIM115 - FFmpeg opens no file by name here
    cap = open_video(video)
    ok, raw = cap.read()
    DeepFace.find(raw, enforce_detection=False, **find)  # builds its representations file
    timed, total = [], 0
    while ok:
        if total % stride == 0:
            frame = cv2.GaussianBlur(raw, (privacy, privacy), 0) if privacy > 1 else raw
            start = time.perf_counter()
            DeepFace.find(frame, enforce_detection=False, **find)
            timed.append(time.perf_counter() - start)
        total += 1
        ok, raw = cap.read()
    return {"per_frame": statistics.mean(timed), "timed": len(timed), "frames": total}


def _warm_start(workdir: Path) -> dict:
    from app.config import Settings
    from app.services import Services  # imports done before the clock starts

    start = time.perf_counter()
    recognition = Services.build(Settings(database_dir=workdir / "db60")).recognition
    gallery = recognition.gallery(workdir / "db60")
    return {
        "seconds": time.perf_counter() - start,
        "photos": len(gallery.index.names) + len(gallery.report.skipped),
        "embedded": gallery.report.embedded,
    }


def _prepare(workdir: Path) -> None:
    from bench.synth_video import CROWD_SIZE, crowd_scene, throughput_scene, write_video
    from tests.conftest import make_gallery

    frames = int(VIDEO_SECONDS * FPS)
    write_video(workdir / "simple.mp4", throughput_scene(FACES), frames, FPS)
    write_video(workdir / "crowd.mp4", crowd_scene(FACES), frames, FPS, CROWD_SIZE)
    make_gallery(workdir / "db")
    db60 = workdir / "db60"
    db60.mkdir()
    for photo in sorted(FACES.glob("img*.jpg"))[:60]:
        shutil.copy(photo, db60 / photo.name)


def _stage_columns(run: dict) -> str:
    """Milliseconds per analysed frame in each stage, and the calls per frame in brackets."""
    frames = max(1, run["analysed"])
    return " | ".join(
        f"{1000 * t['s'] / frames:.1f} ({t['calls'] / frames:.1f})" for t in run["stages"].values()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--privacy", type=int, default=17)
    parser.add_argument("--baseline-stride", type=int, default=5)
    parser.add_argument("--scenes", default="simple,crowd", help="comma-separated: simple, crowd")
    parser.add_argument("--no-baseline", action="store_true", help="skip DeepFace.find")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scenes = args.scenes.split(",")

    if args.child:
        from app.config import Settings

        default_fps, scene = Settings().analysis_fps, scenes[0]
        result = {
            "default": lambda: _ours(args.workdir, scene, args.privacy, default_fps),
            "every": lambda: _ours(args.workdir, scene, args.privacy, 0),
            "baseline": lambda: _baseline(args.workdir, scene, args.privacy, args.baseline_stride),
            "warm": lambda: _warm_start(args.workdir),
        }[args.child]()
        print(json.dumps(result))
        return

    workdir = Path(tempfile.mkdtemp(prefix="pafr-bench-"))
    try:
        _prepare(workdir)
        _child("warm", workdir, args)  # first run embeds the 60 photos: the cache is now warm
        runs = {
            (scene, kind): [_child(kind, workdir, args, scene) for _ in range(args.runs)]
            for scene in scenes
            for kind in ("default", "every")
        }
        warm = [_child("warm", workdir, args) for _ in range(args.runs)]
        base = {} if args.no_baseline else {s: _child("baseline", workdir, args, s) for s in scenes}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    def median_run(key: tuple[str, str]) -> dict:
        return sorted(runs[key], key=lambda r: r["seconds"])[len(runs[key]) // 2]

    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"videos {VIDEO_SECONDS} s @ {FPS:g} fps, privacy {args.privacy}; "
        f"median of {args.runs} runs (each in a fresh process)"
    )
    print()
    print(
        "| scene | pipeline | frames analysed | wall s | real-time factor | vs naive baseline "
        "| ms per analysed frame (calls per frame): detect | align | embed | verify | match |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for scene in scenes:
        base_seconds = base[scene]["per_frame"] * base[scene]["frames"] if base else None
        for label, kind in (("ours, default rate", "default"), ("ours, every frame", "every")):
            run = median_run((scene, kind))
            s = run["seconds"]
            versus = f"{base_seconds / s:.0f}x faster" if base_seconds else "-"
            print(
                f"| {scene} | {label} | {run['analysed']} | {s:.2f} | {VIDEO_SECONDS / s:.1f}x "
                f"| {versus} | {_stage_columns(run)} |"
            )
        if base_seconds:
            print(
                f"| {scene} | naive: DeepFace.find every frame (Dlib, opencv) | "
                f"{base[scene]['frames']} | {base_seconds:.1f} (from {base[scene]['timed']} "
                f"timed frames) | {VIDEO_SECONDS / base_seconds:.2f}x | 1x | |||||"
            )
    print()
    for scene in scenes:
        for kind in ("default", "every"):
            run = median_run((scene, kind))
            print(
                f"{scene}, {kind}: residents {run['residents']}, unknown faces {run['unknown']}, "
                f"unrecognisable {run['unrecognisable']}"
            )
    every = [r for scene in scenes for r in runs[(scene, "every")]]
    print(f"peak RSS (every frame): {max(r['rss_mb'] for r in every):.0f} MB")
    print(
        f"warm start, {warm[0]['photos']}-photo cached gallery, after imports: "
        f"{statistics.median(r['seconds'] for r in warm):.2f} s "
        f"(embedded on warm start: {warm[0]['embedded']})"
    )


if __name__ == "__main__":
    main()
