"""Face embedders behind one protocol: dlib ResNet (default) and any other DeepFace model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.pipeline import dlib_net
from app.pipeline.models import DLIB_RESNET, build_recognizer


@dataclass(frozen=True)
class ChipProfile:
    """How faces are cut for the model: the padding around the landmarks, and the cache key
    (`model_id`) that names the model *and* this preprocessing."""

    model_id: str
    padding: float


class Embedder(Protocol):
    name: str
    metric: str  # "euclidean" or "cosine"
    chip_size: int
    profiles: tuple[ChipProfile, ...]  # every profile `profile()` can return

    def profile(self, kernel: int) -> ChipProfile:
        """The chip profile for probes blurred with `kernel` (galleries are embedded with each)."""
        ...

    def embed(self, chips: list[np.ndarray]) -> np.ndarray:
        """RGB aligned chips -> (n, d) float32 embeddings."""
        ...


class DlibEmbedder:
    """dlib's ResNet (128-d), fed dlib-aligned 150 px chips, run by onnxruntime from dlib's own
    weight file (app/pipeline/dlib_net.py: the same vectors, ~15x faster than dlib-bin).

    One chip profile (padding 0.15) at every privacy level: blur is handled by comparing faces
    with enrollment photos blurred alike (app/pipeline/matching.py), which on LFW separates
    people better than the looser chip the project used under heavy blur before.

    Compared by cosine distance, not dlib's usual euclidean: on LFW households (20 residents,
    faces ~110 px) the share of residents that can be named with no stranger named rises from
    49 % to 67 % at k = 0 and from 44 % to 60 % at k = 17 (the vectors' length varies with blur
    and carries no identity).
    """

    name = "Dlib"
    metric = "cosine"
    chip_size = 150
    profiles: tuple[ChipProfile, ...] = (ChipProfile("Dlib/chip150-pad0.15", 0.15),)

    def profile(self, kernel: int) -> ChipProfile:
        return self.profiles[0]

    def __init__(self, model_file: Path, threads: int = 0) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        # idle threads sleep rather than spin: cameras call it from several threads at once
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        graph = dlib_net.converted(model_file, model_file.parent)
        self._session = onnxruntime.InferenceSession(
            graph if isinstance(graph, bytes) else str(graph),
            options,
            providers=["CPUExecutionProvider"],
        )

    def embed(self, chips: list[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, 128), np.float32)
        return self._session.run(None, {"chips": dlib_net.network_input(chips)})[0]


class DeepFaceEmbedder:
    """Any other DeepFace recognition model (VGG-Face, Facenet, ArcFace, SFace, ...).

    The chip is resized and padded to the model's input exactly as DeepFace's own `represent`
    does, and compared with cosine distance, DeepFace's default metric.
    """

    metric = "cosine"

    def __init__(self, name: str) -> None:
        self.name = name
        self._model: Any = build_recognizer(name)
        height, width = self._model.input_shape
        self._target = (height, width)
        self.chip_size = max(height, width)
        self.profiles: tuple[ChipProfile, ...] = (
            ChipProfile(f"{name}/chip{self.chip_size}-pad0.1", 0.1),
        )

    def profile(self, kernel: int) -> ChipProfile:
        return self.profiles[0]

    def embed(self, chips: list[np.ndarray]) -> np.ndarray:
        from deepface.modules.preprocessing import resize_image

        if not chips:
            return np.zeros((0, self._model.output_shape), np.float32)
        batch = np.concatenate([resize_image(c[:, :, ::-1], self._target) for c in chips])
        out = np.asarray(self._model.forward(batch), dtype=np.float32)
        return out.reshape(len(chips), -1)


def build_embedder(name: str, weights: Path, threads: int = 0) -> Embedder:
    """The recognizer `name`; dlib's weights are read from the folder `weights`, and it runs on
    `threads` threads (0: one per core)."""
    if name == "Dlib":
        return DlibEmbedder(weights / DLIB_RESNET, threads)
    return DeepFaceEmbedder(name)
