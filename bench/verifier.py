"""The second opinion on detections: which signal decides, what it costs, what it lets through.

    python -m bench.verifier --lfw DIR [--photos 300] [--seed 1]

YuNet's boxes on `--photos` random LFW photos (blurred with k = 0, 17, 25, 35) and on every 50th
frame of the crowd scene (bench/synth_video.py, k = 0, 17, 25). For each box: YuNet's score,
whether dlib's HOG finds a face in its neighbourhood and, where HOG does not, whether dlib's MMOD
CNN does - the verifier as it was before its cheap signals (`old`: HOG or MMOD). The table shows,
per source and k, how many boxes the shipped verifier (app/pipeline/detect.py) accepts as an
unknown candidate (thorough) and as an unrecognisable one (cheap), how many MMOD calls each needs,
and - the figure that must stay 0 - how many boxes the old verifier rejected that it accepts.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.pipeline import models
from app.pipeline.detect import FaceVerifier, YuNetDetector
from app.pipeline.privacy import PrivacyLevel
from bench.lfw import sampled_photos
from tests.media import read_image

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"


@dataclass(frozen=True)
class Verdicts:
    source: str
    kernel: int
    score: float
    hog: bool
    cnn: bool | None  # asked only where HOG found nothing

    @property
    def old(self) -> bool:
        return self.hog or bool(self.cnn)

    def shipped(self, thorough: bool) -> bool:
        confident = self.score >= FaceVerifier.CONFIDENT_SCORE
        return confident or self.hog or (thorough and bool(self.cnn))


def judge(
    source: str, image: np.ndarray, kernel: int, detector: YuNetDetector, verifier: FaceVerifier
) -> list[Verdicts]:
    """Every YuNet box of `image` blurred with `kernel`, with each signal's verdict."""
    frame = PrivacyLevel(kernel).blur(image.copy())
    out = []
    for box in detector.detect(frame):
        rgb = verifier.neighbourhood(frame, box)
        found = verifier.hog_finds(rgb)
        cnn_found = None if found else verifier.cnn_finds(rgb)
        out.append(Verdicts(source, kernel, float(box.score or 0), found, cnn_found))
    return out


def main() -> None:
    photos = sampled_photos(__doc__.split("\n")[0])

    from bench.synth_video import CROWD_SIZE, crowd_scene, open_video, write_video

    weights = models.provision(Path(tempfile.mkdtemp(prefix="pafr-verifier-")))
    detector = YuNetDetector(min_face_px=20)
    verifier = FaceVerifier(str(weights / models.MMOD_DETECTOR))
    start = time.perf_counter()
    rows: list[Verdicts] = []
    for photo in photos:
        image = read_image(photo)
        for kernel in (0, 17, 25, 35):
            rows += judge("LFW", image, kernel, detector, verifier)
    with tempfile.TemporaryDirectory() as tmp:
        video = write_video(Path(tmp) / "crowd.mp4", crowd_scene(FACES), 750, 25.0, CROWD_SIZE)
        stream = video.open("rb")
        capture = open_video(stream)
        index, ok = 0, True
        while ok:
            ok, image = capture.read()
            if ok and index % 50 == 0:
                for kernel in (0, 17, 25):
                    rows += judge("crowd", image, kernel, detector, verifier)
            index += 1

    print(f"# {len(rows)} YuNet boxes in {time.perf_counter() - start:.0f} s")
    print(
        "| source | k | boxes | old accepts | old MMOD calls | thorough: accepts / MMOD calls / "
        "old-rejected accepted | cheap: accepts / old-rejected accepted |"
    )
    print("|---|---|---|---|---|---|---|")
    for source, kernel in sorted({(r.source, r.kernel) for r in rows}):
        cell = [r for r in rows if (r.source, r.kernel) == (source, kernel)]
        thorough_calls = sum(not r.hog and r.score < FaceVerifier.CONFIDENT_SCORE for r in cell)
        print(
            f"| {source} | {kernel} | {len(cell)} | {sum(r.old for r in cell)} "
            f"| {sum(not r.hog for r in cell)} "
            f"| {sum(r.shipped(True) for r in cell)} / {thorough_calls} "
            f"/ {sum(r.shipped(True) and not r.old for r in cell)} "
            f"| {sum(r.shipped(False) for r in cell)} "
            f"/ {sum(r.shipped(False) and not r.old for r in cell)} |"
        )


if __name__ == "__main__":
    main()
