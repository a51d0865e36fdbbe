"""The embedder against dlib itself: the same 128-d vectors, on LFW photos under blur.

    python -m bench.parity --lfw DIR [--photos 300] [--seed 1]

`--photos` random LFW photos, each blurred with k = 0, 17, 25, 35 and aligned as the service
aligns (YuNet box, dlib's 5 landmarks, 150 px chip): every chip is embedded by dlib-bin's
`face_recognition_model_v1` and by the shipped onnxruntime graph (app/pipeline/dlib_net.py).
Prints, per k, the largest absolute difference of any component, the largest cosine distance
between the two vectors of a chip, and the time per chip of each (one thread, batches of 8).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from app.pipeline import models
from app.pipeline.align import LandmarkAligner
from app.pipeline.detect import YuNetDetector
from app.pipeline.embed import DlibEmbedder
from app.pipeline.matching import distances
from app.pipeline.privacy import PrivacyLevel
from bench.lfw import sampled_photos
from tests.media import read_image


def main() -> None:
    photos = sampled_photos(__doc__.split("\n")[0])

    import dlib

    cv2.setNumThreads(1)
    weights = models.provision(Path(tempfile.mkdtemp(prefix="pafr-parity-")))
    detector, aligner = (
        YuNetDetector(20),
        LandmarkAligner(str(weights / models.SHAPE_PREDICTOR_5), 150),
    )
    reference = dlib.face_recognition_model_v1(str(weights / models.DLIB_RESNET))
    shipped = DlibEmbedder(weights / models.DLIB_RESNET, threads=1)
    print("| k | chips | max component difference | max cosine distance between the two "
          "| dlib-bin ms/chip | onnxruntime ms/chip |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for kernel in (0, 17, 25, 35):
        chips = []
        for photo in photos:
            frame = PrivacyLevel(kernel).blur(read_image(photo))
            chips += [f.chip for f in aligner.align(frame, detector.detect(frame), 0.15)]
        start = time.perf_counter()
        expected = np.concatenate(
            [
                np.asarray(reference.compute_face_descriptor(chips[i : i + 8]))
                for i in range(0, len(chips), 8)
            ]
        ).astype(np.float32)
        dlib_s = time.perf_counter() - start
        start = time.perf_counter()
        got = np.concatenate([shipped.embed(chips[i : i + 8]) for i in range(0, len(chips), 8)])
        ort_s = time.perf_counter() - start
        cosine = max(
            float(distances(g[None], e[None], "cosine")[0, 0])
            for g, e in zip(got, expected, strict=True)
        )
        print(
            f"| {kernel} | {len(chips)} | {np.abs(got - expected).max():.1e} | {cosine:.1e} "
            f"| {1000 * dlib_s / len(chips):.1f} | {1000 * ort_s / len(chips):.1f} |"
        )


if __name__ == "__main__":
    main()
