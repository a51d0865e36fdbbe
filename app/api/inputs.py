"""What the residents and faces routes share: the gallery a request names, its images (uploaded
parts or fetched URLs, every one a private temporary file deleted when the request ends) and
running model work on the analysis pool; and the typed shapes of these inputs for the OpenAPI
description (the analysis routes use them too)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, NotRequired, TypeVar

from flask import current_app, request
from pydantic import Field
from typing_extensions import TypedDict

from app import image_urls
from app.api.connections import client_gone
from app.api.errors import MissingFile, TooManyFiles
from app.api.runtime import runtime
from app.api.uploads import UPLOAD_DIR_KEY, gallery_name
from app.recognition import Recognition, gallery_label
from app.store.audit import AuditTrail

T = TypeVar("T")
Upload = Annotated[str, Field(json_schema_extra={"contentMediaType": "application/octet-stream"})]
GALLERY = (
    "Resident directory: `database`, `/app/database` or empty for the default gallery, otherwise "
    "the name of a folder directly under GALLERIES_DIR. A form field or a file part holding the "
    "name."
)
URL_ERRORS = (403, 413, 502, 504)  # image URLs: refused, too large, unreachable, too slow
Image = Annotated[Upload, Field(description="A JPEG, PNG, BMP or WebP image.")]
ImageUrl = Annotated[
    str,
    Field(
        json_schema_extra={"format": "uri"},
        description="An http(s) image URL instead of an upload; only with IMAGE_URLS on, never "
        "to loopback, private, link-local or the DHT's addresses.",
    ),
]
Gallery = Annotated[str, Field(description=GALLERY)]


class GalleryQuery(TypedDict):
    path: NotRequired[Gallery]


def gallery_dir(recognition: Recognition, trail: AuditTrail) -> Path:
    """The resident directory named by `path` (query string, form field or file part), resolved
    by allowlist exactly as for /check_directory."""
    name = request.args.get("path")
    if name is None:
        name = gallery_name()
    directory = recognition.resolve_gallery(name)
    trail.gallery = gallery_label(name)
    return directory


@contextmanager
def images(part: str, url_field: str, at_most: int) -> Iterator[list[Path]]:
    """The request's images: the `part` file parts, then the images of the `url_field` fields."""
    uploads = request.files.getlist(part)
    urls = request.form.getlist(url_field)
    if not uploads and not urls:
        raise MissingFile(f"send an image in part `{part}` (or a URL in field `{url_field}`)")
    if len(uploads) + len(urls) > at_most:
        raise TooManyFiles(f"send at most {at_most} image(s) in `{part}` and `{url_field}`")
    paths = []
    for upload in uploads:
        upload.stream.flush()
        paths.append(Path(upload.stream.name))
    with ExitStack() as stack:
        policy = runtime().services.url_policy
        for url in urls:
            out = stack.enter_context(
                tempfile.NamedTemporaryFile(
                    dir=current_app.config[UPLOAD_DIR_KEY], prefix="upload-"
                )
            )
            image_urls.fetch(url, policy, out)
            paths.append(Path(out.name))
        yield paths


def compute(job: Callable[[], T]) -> T:
    """Run model work on the bounded analysis pool, within the request time limit."""
    rt = runtime()
    pool = rt.services.runners.pool
    return pool.run(lambda _progress: job(), rt.settings.request_timeout_s, client_gone())
