"""What a track's windows change on the synthetic videos: the answers with windows (the shipped
rule) and with the votes alone, side by side.

    python -m bench.track_windows [--privacy 9,17] [--videos sample,simple,crowd]
                                  [--analysis-fps 5]

Videos (bench/synth_video.py): `sample`, the README's try-it video (10 fps, 6 s), judged with the
bundled samples (`database/`) as the README does; `simple` and `crowd`, the throughput scenes
(30 s at 25 fps), judged with tests/conftest.py's gallery as bench.throughput does. Per video, k
and rule: the residents named (of those who walk through), every named track checked against
the scene (the person drawn where its boxes are: a track named other than that person is
*wrong*: a stranger named or a resident misnamed), unknown and unrecognisable faces, and how
many tracks counted any observation, the most counted by one track, and the tracks with a
judged window.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from app.config import Settings
from app.pipeline.analyze import Stream
from app.pipeline.tracking import Track
from app.recognition import Recognition
from app.scene import HEIGHT, WIDTH, Appearance, head_crop, sample_scene
from app.services import Services
from bench.synth_video import crowd_scene, throughput_scene, write_video
from bench.throughput import FACES, FPS, VIDEO_SECONDS

ROOT = Path(__file__).resolve().parent.parent
# the galleries' residents (database/ and tests/conftest.py alike) by tests/data/faces/labels.csv
RESIDENT_OF = {"person01": "Alice", "person05": "Bob", "person10": "Carol"}


class Truth:
    """Who a scene draws where: the person whose head crop covers a box's centre (the
    front-most one, as the scene draws later appearances in front)."""

    def __init__(self, appearances: list[Appearance]) -> None:
        labels = (FACES / "labels.csv").read_text().split()[1:]
        person = dict(line.split(",") for line in labels)
        self.appearances = appearances
        self.who = {a.photo: RESIDENT_OF.get(person[a.photo.name], "stranger") for a in appearances}
        self.shape = {a.photo: head_crop(a.photo, a.margin).shape[:2] for a in appearances}

    def at(self, frame: int, cx: float, cy: float) -> str | None:
        found = None
        for a in self.appearances:
            if not a.start <= frame < a.end:
                continue
            t = (frame - a.start) / max(1, a.end - a.start - 1)
            x = a.xy0[0] + t * (a.xy1[0] - a.xy0[0])
            y = a.xy0[1] + t * (a.xy1[1] - a.xy0[1])
            h, w = self.shape[a.photo]
            w = int(w * a.size / h)
            if not a.walks_through:  # kept whole inside the frame, as Scene.frame does
                x, y = min(max(0, x), WIDTH - w), min(max(0, y), HEIGHT - a.size)
            if x <= cx <= x + w and y <= cy <= y + a.size:
                found = self.who[a.photo]
        return found

    def of(self, track: Track) -> str | None:
        """The person most of the track's boxes are on."""
        seen = [
            self.at(o.frame, o.box.x + o.box.w / 2, o.box.y + o.box.h / 2)
            for o in track.observations
        ]
        return max(set(seen), key=seen.count) if seen else None

    def residents(self) -> set[str]:
        return set(self.who.values()) - {"stranger"}


def _videos(workdir: Path, wanted: list[str]) -> dict[str, tuple[Path, Path, Truth]]:
    """name -> (video, gallery folder, who is where), for the `wanted` names."""
    from tests.conftest import make_gallery  # the tests' gallery, as bench.throughput

    frames = int(VIDEO_SECONDS * FPS)
    gallery = make_gallery(workdir / "db")
    scenes = {
        "sample": (sample_scene(FACES), 60, 10.0, ROOT / "database"),
        "simple": (throughput_scene(FACES), frames, FPS, gallery),
        "crowd": (crowd_scene(FACES), frames, FPS, gallery),
    }
    return {
        name: (write_video(workdir / f"{name}.mp4", scene, n, fps), db, Truth(scene))
        for name, (scene, n, fps, db) in scenes.items()
        if name in wanted
    }


def _answer(
    recognition: Recognition, video: Path, gallery: Path, truth: Truth, kernel: int
) -> dict:
    """The analysis of one video, with the track statistics of its stream."""
    analyzer = recognition.analyzer
    streams: list[Stream] = []
    make_stream = analyzer.stream

    def keep(*args, **kwargs) -> Stream:
        streams.append(make_stream(*args, **kwargs))
        return streams[-1]

    analyzer.stream = keep  # type: ignore[method-assign]
    try:
        result = recognition.recognize_file(
            video, recognition.privacy(kernel), recognition.gallery(gallery)
        )
    finally:
        del analyzer.stream
    tracks = streams[0].tracker.tracks
    named = [(t.identity(streams[0].confirm), truth.of(t)) for t in tracks]
    return {
        "wrong": sum(bool(n) and n != who for n, who in named),
        "walk": len(truth.residents()),
        "residents": [f"{r.name} ({r.frames} fr., conf {r.confidence})" for r in result.residents],
        "unknown": result.unknown_faces,
        "unrecognisable": result.unrecognisable_faces,
        "counting": sum(bool(t.distinct) for t in tracks),
        "most_counted": max((len(t.distinct) for t in tracks), default=0),
        "windowed": sum(bool(t.windows) for t in tracks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--privacy", default="9,17", help="comma-separated kernels")
    parser.add_argument("--videos", default="sample,simple,crowd", help="comma-separated")
    parser.add_argument("--analysis-fps", type=float, default=Settings().analysis_fps)
    args = parser.parse_args()
    recognition = Services.build(Settings(analysis_fps=args.analysis_fps)).recognition
    shipped = recognition.analyzer.rule
    print(
        "| video | k | rule | residents named (of those who walk through) | tracks named wrong "
        "| unknown | unrecognisable | tracks counting | most counted | tracks with a window |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        wanted = args.videos.split(",")
        for name, (video, gallery, truth) in _videos(Path(tmp), wanted).items():
            for kernel in (int(k) for k in args.privacy.split(",")):
                for label, rule in (("votes", replace(shipped, window=0)), ("windows", shipped)):
                    recognition.analyzer.rule = rule
                    a = _answer(recognition, video, gallery, truth, kernel)
                    print(
                        f"| {name} | {kernel} | {label} | {', '.join(a['residents']) or 'none'} "
                        f"(of {a['walk']}) | {a['wrong']} "
                        f"| {a['unknown']} | {a['unrecognisable']} | {a['counting']} "
                        f"| {a['most_counted']} | {a['windowed']} |",
                        flush=True,
                    )
    recognition.analyzer.rule = shipped


if __name__ == "__main__":
    main()
