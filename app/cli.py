"""Command line: `python -m app serve | worker | recognize | models | residents | config |
demo-camera`. A thin shell over `services`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Quiet native libraries, as the service is: set before anything imports them. (FFmpeg's messages
# would also name camera URLs.)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from pydantic import ValidationError

from app.config import Settings, markdown, problems
from app.domain import AnalysisResult
from app.errors import AppError, GalleryNotFound, InvalidParameter
from app.pipeline.progress import Progress
from app.pipeline.quality import Rejection
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER
from app.sifis import RequestIds, result_value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except AppError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # of Settings: the environment or `.env`
        print(f"error [invalid_settings]: {problems(exc)}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    sub.add_parser("serve", help="run the HTTP service (waitress) on HOST:PORT").set_defaults(
        run=_serve
    )

    sub.add_parser(
        "worker", help="run queued analyses for `serve` (needs QUEUE_URL; docs/scale.md)"
    ).set_defaults(run=_worker)

    rec = sub.add_parser("recognize", help="recognise residents in videos or images")
    rec.add_argument("files", nargs="+", type=Path, metavar="FILE")
    rec.add_argument("--db", type=Path, help="resident directory (default: DATABASE_DIR)")
    rec.add_argument(
        "--privacy",
        default=str(DEFAULT_PRIVACY_PARAMETER),
        help="privacy parameter: 0 or 1 = no blur, or an odd Gaussian kernel size >= 3 "
        "(default: %(default)s; docs/recognition.md says why)",
    )
    rec.add_argument("--json", action="store_true", help="one JSON value object per line")
    rec.add_argument("--every-frame", action="store_true", help="analyse every video frame")
    rec.set_defaults(run=_recognize)

    mod = sub.add_parser("models", help="offline model provisioning")
    msub = mod.add_subparsers(required=True, metavar="ACTION")
    msub.add_parser("setup", help="provision weights and load the configured models").set_defaults(
        run=_models_setup
    )
    msub.add_parser("list", help="which recognizers can run here, and why not").set_defaults(
        run=_models_list
    )
    fetch = msub.add_parser("fetch", help="download a recognizer's weights (needs internet)")
    fetch.add_argument("name")
    fetch.set_defaults(run=_models_fetch)

    res = sub.add_parser("residents", help="manage the residents of a resident directory")
    rsub = res.add_subparsers(required=True, metavar="ACTION")
    db_help = "resident directory (default: DATABASE_DIR)"
    listing = rsub.add_parser("list", help="residents, image counts and metadata")
    add = rsub.add_parser("add", help="enroll a resident, or add images to one (quality-gated)")
    add.add_argument("name")
    add.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    add.add_argument("--metadata", help="JSON object stored with a new resident")
    remove = rsub.add_parser("remove", help="delete a resident (or one image) and its embeddings")
    remove.add_argument("name")
    remove.add_argument("--image", metavar="ID", help="remove only this image")
    rename = rsub.add_parser("rename", help="rename a resident")
    rename.add_argument("name")
    rename.add_argument("new_name")
    for action, run in (
        (listing, _residents_list),
        (add, _residents_add),
        (remove, _residents_remove),
        (rename, _residents_rename),
    ):
        action.add_argument("--db", type=Path, help=db_help)
        action.set_defaults(run=run)

    demo = sub.add_parser(
        "demo-camera", help="a loopback MJPEG camera showing the sample residents (README)"
    )
    demo.add_argument("--port", type=int, default=8091, help="default: %(default)s; 0 = any free")
    demo.add_argument("--faces", type=Path, help="the photos (default: tests/data/faces)")
    demo.set_defaults(run=_demo_camera)

    config = sub.add_parser("config", help="the settings in effect, or their documentation")
    config.add_argument(
        "--markdown", action="store_true", help="print docs/configuration.md (every setting)"
    )
    config.set_defaults(run=_config)
    return parser


def _resident_directory(given: Path | None, settings: Settings) -> Path:
    """The resident directory a command names: `--db`, else DATABASE_DIR (either must exist),
    else the state copy of the samples (made by Services.build)."""
    directory = given or settings.database_dir
    if directory is None:
        return settings.residents_dir
    if not directory.is_dir():
        raise GalleryNotFound(f"resident directory {directory.resolve()} does not exist")
    return directory


def _build(settings: Settings):  # -> Services; imported late so `--help` stays fast
    from app.services import Services

    return Services.build(settings)


def _serve(args: argparse.Namespace) -> int:
    from app.server import serve

    return serve(Settings())


def _worker(args: argparse.Namespace) -> int:
    from app.cameras.hosting import watcher_factory
    from app.cameras.sharing import Holder
    from app.log_redaction import configure_logging
    from app.queue.worker import run_worker
    from app.services import build_recognition

    settings = Settings()
    if not settings.queue_url:
        raise InvalidParameter("set QUEUE_URL (e.g. redis://127.0.0.1:6379/0) to run a worker")
    configure_logging()  # before Celery's, which then keeps these handlers
    recognition = build_recognition(settings)
    new_watcher = watcher_factory(settings, recognition)
    return run_worker(settings, recognition, lambda r, name: Holder(r, name, new_watcher))


def _recognize(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.every_frame:
        settings = settings.model_copy(update={"analysis_fps": 0.0})
    directory = _resident_directory(args.db, settings)
    recognition = _build(settings).recognition
    privacy = recognition.privacy(args.privacy)
    gallery = recognition.gallery(directory)  # logs what it skips, and why
    failures = 0
    for path in args.files:
        try:
            with _progress_bar(path.name) as progress:
                result = recognition.recognize_file(path, privacy, gallery, progress)
        except (AppError, OSError) as exc:
            failures += 1
            if isinstance(exc, AppError):
                code, message = exc.code, exc.message
            else:
                code, message = "unreadable_file", exc.strerror or str(exc)
            if args.json:
                print(
                    json.dumps(
                        {"file_name": path.name, "error": {"code": code, "message": message}}
                    )
                )
            else:
                print(f"{path.name}: error [{code}]: {message}")
            continue
        value = result_value(
            result, file_name=path.name, ids=RequestIds(), analysis_id=str(uuid.uuid4())
        )
        print(json.dumps(value) if args.json else _summary(path.name, result), flush=True)
    return 1 if failures else 0


def _summary(name: str, result: AnalysisResult) -> str:
    lines = [
        f"{name}: {result.media_type.value}, privacy {result.privacy_parameter}, "
        f"{result.analysed_frames}/{result.count_frames} frames analysed"
    ]
    for r in result.residents:
        span = (
            f"frames {r.first_frame}-{r.last_frame} ({r.first_seen_s:.1f}-{r.last_seen_s:.1f} s), "
            if result.count_frames > 1
            else ""
        )
        lines.append(f"  {r.name}: {span}seen in {r.frames} frame(s), confidence {r.confidence}")
    if not result.residents:
        lines.append("  no resident recognised")
    lines.append(f"  unknown faces: {result.unknown_faces}")
    if result.unrecognisable_faces:
        lines.append(
            f"  unrecognisable faces: {result.unrecognisable_faces} "
            "(too small for this privacy level to be told apart)"
        )
    return "\n".join(lines)


@contextmanager
def _progress_bar(label: str) -> Iterator[Progress | None]:
    """A tqdm bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=label, unit="frame", file=sys.stderr, leave=False) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total or None
            bar.update(done - bar.n)

        yield update


def _models_setup(args: argparse.Namespace) -> int:
    settings = Settings()
    a = _build(settings).recognition.analyzer
    print(f"ready: detector {a.detector.name}, recognizer {a.embedder.name}")
    print(f"weights folder: {settings.weights_home.resolve()}")
    return 0


def _models_list(args: argparse.Namespace) -> int:
    from app.pipeline import models

    home = Settings().weights_home.resolve()
    models.provision(home)
    for name in models.recognizer_names():
        status = models.recognizer_status(name, home)
        print(f"{'ok ' if status.usable else ' - '} {name:<13} {status.detail}")
    print("detectors: yunet (YuNet CNN, default), opencv (Haar cascade), dlib (HOG)")
    return 0


def _models_fetch(args: argparse.Namespace) -> int:
    from app.pipeline import models

    models.provision(Settings().weights_home.resolve())
    with models.downloads_allowed():
        models.build_recognizer(args.name)
    print(f"{args.name}: weights installed")
    return 0


def _residents(args: argparse.Namespace):  # -> ResidentManager
    settings = Settings()
    directory = _resident_directory(args.db, settings)
    return _build(settings).residents.of(directory)


def _residents_list(args: argparse.Namespace) -> int:
    for r in _residents(args).list():
        meta = f"  {json.dumps(r.metadata, ensure_ascii=False)}" if r.metadata else ""
        print(f"{r.name}: {len(r.image_ids)} image(s){meta}")
    return 0


def _residents_add(args: argparse.Namespace) -> int:
    from app.residents.directory import metadata
    from app.residents.manager import EnrollmentRejected

    manager = _residents(args)
    known = {r.name for r in manager.list()}
    if args.name in known and args.metadata is not None:
        print("error: --metadata is only for a new resident", file=sys.stderr)
        return 2
    try:
        if args.name in known:
            report = manager.add_images(args.name, args.images)
        else:
            meta = None if args.metadata is None else metadata(args.metadata)
            report = manager.enroll(args.name, args.images, meta)
    except EnrollmentRejected as exc:
        _print_rejections(args.images, exc.rejections)
        raise
    for index, image in report.accepted:
        print(f"{args.images[index].name}: accepted as image {image}")
    _print_rejections(args.images, report.rejected)
    print(f"{report.resident.name}: {len(report.resident.image_ids)} image(s)")
    return 1 if report.rejected else 0


def _print_rejections(images: list[Path], rejections: tuple[Rejection, ...]) -> None:
    for r in rejections:
        print(f"{images[r.index].name}: rejected [{r.reason}]: {r.message}")


def _residents_remove(args: argparse.Namespace) -> int:
    manager = _residents(args)
    if args.image:
        embeddings = manager.remove_image(args.name, args.image)
        print(f"{args.name}: removed image {args.image} and {embeddings} embedding(s)")
        return 0
    report = manager.delete(args.name)
    print(
        f"{report.name}: removed {report.images} image(s), {report.embeddings} embedding(s)"
        + (" and metadata" if report.metadata else "")
    )
    return 0


def _config(args: argparse.Namespace) -> int:
    if args.markdown:
        print(markdown(), end="")
        return 0
    for name, value in Settings():
        shown = "(set)" if "secret" in type(value).__name__.lower() else value
        print(f"{name.upper()}={'' if shown is None else shown}")
    return 0


def _demo_camera(args: argparse.Namespace) -> int:
    from app.demo_camera import FACES, DemoCamera, scene_parts

    parts = scene_parts(args.faces or FACES)
    try:
        camera = DemoCamera(parts, args.port)
    except OSError as exc:
        print(
            f"error [port_unavailable]: cannot listen on 127.0.0.1:{args.port}: "
            f"{exc.strerror or exc} (give --port)",
            file=sys.stderr,
        )
        return 2
    print(f"demo camera: {camera.url} (Ctrl-C stops it)", flush=True)
    camera.serve_forever()
    return 0


def _residents_rename(args: argparse.Namespace) -> int:
    view = _residents(args).update(args.name, args.new_name, None)
    print(f"{args.name} is now {view.name}")
    return 0
