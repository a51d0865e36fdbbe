"""Residents of one gallery: the directory on disk, the quality gate, the embedding cache and the
change log, kept in step. Used by the HTTP routes and the CLI through `Residents.of(directory)`.

Every change runs under one lock (per process) and ends by reconciling the change log, which also
logs hand edits made on disk since the last call. Deleting a resident, or one of its images,
refreshes the gallery, which deletes the cached embeddings of every photo that is gone.
"""

from __future__ import annotations

import errno
import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import AppError, GalleryNotFound
from app.pipeline.gallery import Enrollment
from app.pipeline.media import decode_image_bytes
from app.pipeline.quality import Accepted, Rejection, normalise
from app.recognition import Recognition
from app.residents.changes import ChangeSet, ResidentLog
from app.residents.directory import Resident, ResidentDirectory, image_id, new_name
from app.store.face_labels import FaceLabels


class EnrollmentRejected(AppError):
    """Every image of an enrollment was refused by the quality gate; `rejections` say why."""

    code = "enrollment_rejected"

    def __init__(self, message: str, rejections: tuple[Rejection, ...]) -> None:
        super().__init__(message)
        self.rejections = rejections


@dataclass(frozen=True)
class ResidentView:
    """What callers see of a resident: names, counts, IDs and times; never paths."""

    name: str
    image_ids: tuple[str, ...]
    metadata: dict[str, Any]
    updated: float  # when the change log last saw it change (seconds since the epoch)


@dataclass(frozen=True)
class EnrollmentReport:
    resident: ResidentView
    accepted: tuple[tuple[int, str], ...]  # (position in the request, new image ID)
    rejected: tuple[Rejection, ...]


@dataclass(frozen=True)
class DeletionReport:
    name: str
    images: int
    metadata: bool
    embeddings: int  # cache rows deleted (one per image and chip profile)


class GalleryReadOnly(AppError):
    """The resident directory cannot be written by the service's user."""

    code = "gallery_read_only"

    def __init__(self) -> None:
        super().__init__(
            "the resident directory is read-only for this service: mount it writable, owned by "
            "the user the service runs as (see docs/residents.md)"
        )


class Residents:
    """Residents management of any resident directory; one lock (per process) for every change."""

    def __init__(
        self, recognition: Recognition, log: ResidentLog, labels: tuple[FaceLabels, ...] = ()
    ) -> None:
        self._recognition, self._log, self._labels = recognition, log, labels
        self._lock = threading.Lock()

    def of(self, directory: Path) -> ResidentManager:
        if not directory.is_dir():
            raise GalleryNotFound(f"resident directory {directory.name!r} does not exist")
        manager = ResidentManager(directory, self._recognition, self._log, self._lock)
        manager.labels = self._labels
        return manager


class ResidentManager:
    def __init__(
        self, directory: Path, recognition: Recognition, log: ResidentLog, lock: threading.Lock
    ) -> None:
        self._recognition, self._log, self._lock = recognition, log, lock
        self.directory = ResidentDirectory(directory)
        self._key = str(self.directory.root)  # the gallery's key in the cache and the log
        # faces labelled by feedback ("not X", "this is X"): renamed and erased with the resident
        self.labels: tuple[FaceLabels, ...] = ()

    def list(self) -> list[ResidentView]:
        residents, changes = self._reconcile()
        return [self._view(r, changes) for r in residents.values()]

    def get(self, name: str) -> ResidentView:
        resident = self.directory.get(name)
        return self._view(resident, self._reconcile()[1])

    def thumbnail(self, name: str, image: str, side: int) -> bytes:
        """One of the resident's enrollment photos as a JPEG at most `side` pixels wide and
        high (for the web UI). These are the household's own photos, never camera frames."""
        data = self.directory.read_image(name, image)
        return normalise(decode_image_bytes(data, self._recognition.limits), side)

    def changes(self, since: float) -> tuple[ChangeSet, dict[str, ResidentView]]:
        """Changes newer than `since`, and the current view of every resident named in them."""
        residents, changes = self._reconcile(since)
        named = {c.name for c in changes.changes}
        return changes, {n: self._view(r, changes) for n, r in residents.items() if n in named}

    def enroll(
        self, name: str, images: Sequence[Path], metadata: dict[str, Any] | None
    ) -> EnrollmentReport:
        """A new resident from the images that pass the quality gate; refused if none does."""
        name = new_name(name)
        with self._changing():
            self.directory.require_free(name)
            accepted, rejected = self._gate(images)
            self.directory.create(name, [a.jpeg for a in accepted], metadata)
            return self._report(name, accepted, rejected)

    def add_images(self, name: str, images: Sequence[Path]) -> EnrollmentReport:
        with self._changing():
            name = self.directory.get(name).name
            accepted, rejected = self._gate(images)
            self.directory.add_images(name, [a.jpeg for a in accepted])
            return self._report(name, accepted, rejected)

    def remove_image(self, name: str, image: str) -> int:
        """Remove one image; returns how many cached embeddings went with it."""
        with self._changing():
            self.directory.remove_image(name, image)
            self._reconcile()
            return self._recognition.gallery(self.directory.root).report.removed

    def update(self, name: str, new: str | None, metadata: dict[str, Any] | None) -> ResidentView:
        """Set the metadata and/or rename; either may be None (unchanged)."""
        with self._changing():
            if new is not None:
                new_name(new)
            resident = self.directory.get(name)
            if new is not None and new != resident.name:
                self.directory.rename(resident.name, new)
                for labels in self.labels:
                    labels.rename(self._key, resident.name, new)
                name = new
            if metadata is not None:
                self.directory.set_metadata(name, metadata)
        return self.get(name)

    def delete(self, name: str) -> DeletionReport:
        with self._changing():
            resident = self.directory.get(name)
            removal = self.directory.delete(resident.name)
            for labels in self.labels:
                labels.erase(self._key, resident.name)
            self._reconcile()
            embeddings = self._recognition.gallery(self.directory.root).report.removed
        return DeletionReport(resident.name, removal.images, removal.metadata, embeddings)

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Serialise a change; a directory the service may not write is a GalleryReadOnly."""
        with self._lock:
            try:
                yield
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                raise GalleryReadOnly() from exc

    def _gate(self, images: Sequence[Path]) -> tuple[Sequence[Accepted], tuple[Rejection, ...]]:
        """Run the quality gate; raise EnrollmentRejected when no image passes."""
        r = self._recognition
        profile = r.analyzer.embedder.profiles[0]
        enrolled = r.gallery(self.directory.root).index_for(profile.model_id)
        verdicts = r.quality_gate.check(images, r.limits, enrolled)
        accepted = [v for v in verdicts if isinstance(v, Accepted)]
        rejected = tuple(v for v in verdicts if isinstance(v, Rejection))
        if not accepted:
            raise EnrollmentRejected("no image passed the enrollment quality gate", rejected)
        return accepted, rejected

    def _report(
        self, name: str, accepted: Sequence[Accepted], rejected: tuple[Rejection, ...]
    ) -> EnrollmentReport:
        """Put the accepted images' embeddings in the cache (the gallery would compute the same
        ones from the stored bytes), log the change and describe the outcome."""
        ids = []
        for a in accepted:
            sha = hashlib.sha256(a.jpeg).hexdigest()
            for model_id, vector in a.vectors.items():
                self._recognition.cache.save(self._key, model_id, sha, Enrollment(vector))
            ids.append((a.index, image_id(sha)))
        residents, changes = self._reconcile()
        return EnrollmentReport(self._view(residents[name], changes), tuple(ids), rejected)

    def _reconcile(self, since: float = 0.0) -> tuple[dict[str, Resident], ChangeSet]:
        return self._log.sync(self.directory.root, since)

    @staticmethod
    def _view(resident: Resident, changes: ChangeSet) -> ResidentView:
        return ResidentView(
            resident.name,
            tuple(i.id for i in resident.images),
            resident.metadata,
            changes.updated.get(resident.name, 0.0),
        )
