"""The store on disk: where artefacts live, atomic writes, manifests.

Disk is the source of truth. Every file is written to a temporary name in the same
folder and renamed into place, so a crash, Ctrl-C or full disk never leaves a half
artefact under a real name. A stage's manifest (``stages/<stage>.json``) is written
last: its presence, with matching version and parameters, is what "done" means.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deerin.errors import DeerinError, StoreError

TMP_PREFIX = ".tmp-"


def _file_mode() -> int:
    """The mode a plain open() would give: mkstemp's 0600 would hide artefacts from a
    web server or colleague running as another user."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def store_error(exc: OSError, path: Path) -> StoreError:
    """Turn a low-level write failure into a message an archivist can act on."""
    if exc.errno == errno.ENOSPC:
        return StoreError(
            "the disk is full", path=path, hint="free space or point --data-dir elsewhere"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(
            "the output folder cannot be written (read-only or no permission)",
            path=path,
            hint="choose a writable --data-dir",
        )
    return StoreError(f"cannot write ({exc.strerror})", path=path, hint="check the disk")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old or the new file."""
    try:  # a folder that cannot be made or written is said like a failed write
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    except OSError as exc:
        raise store_error(exc, path) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise store_error(exc, path) from exc


def atomic_write_json(path: Path, document: Any) -> None:
    """Write a JSON document atomically, UTF-8, human-readable."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path) -> Any:
    """Read a JSON artefact."""
    return json.loads(path.read_text(encoding="utf-8"))


@contextlib.contextmanager
def staging_dir(parent: Path, name: str) -> Iterator[Path]:
    """A scratch folder beside the final one, removed whatever happens.

    Stages write their files here; :func:`publish` then moves them into place.
    """
    try:
        parent.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{name}-", dir=parent))
    except OSError as exc:
        raise store_error(exc, parent) from exc
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def publish(staged: Path, final: Path) -> None:
    """Move a staged file or folder into place atomically, replacing an older one."""
    try:
        if staged.is_dir() and final.exists():
            old = final.with_name(f"{TMP_PREFIX}old-{final.name}-{os.getpid()}")
            os.replace(final, old)
            os.replace(staged, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staged, final)
    except OSError as exc:
        raise store_error(exc, final) from exc


def remove_stale_temporaries(folder: Path) -> None:
    """Delete scratch files a killed process left behind (they are never real artefacts)."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name.startswith(TMP_PREFIX):
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    child.unlink()


@dataclass(frozen=True)
class VideoFolder:
    """Where one video's artefacts live: ``<data>/videos/<id[:2]>/<id>/``."""

    root: Path

    @classmethod
    def for_video(cls, data_dir: Path, video_id: str) -> VideoFolder:
        return cls(data_dir / "videos" / video_id[:2] / video_id)

    def path(self, name: str) -> Path:
        return self.root / name

    def relative(self, name: str) -> str:
        """A file of the folder as a path relative to the data dir (``videos/ab/abcd…/x``):
        how thumbnails are named in search hits and the web app's URLs."""
        return "/".join((*self.root.parts[-3:], name))

    def manifest_path(self, stage: str) -> Path:
        return self.root / "stages" / f"{stage}.json"

    def read_manifest(self, stage: str) -> dict[str, Any] | None:
        path = self.manifest_path(stage)
        try:
            return read_json(path)
        except (OSError, ValueError):
            return None

    def write_manifest(self, stage: str, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path(stage), manifest)


class UnknownCollection(DeerinError):
    """A collection name the data dir does not have."""


@dataclass(frozen=True)
class CollectionFolder:
    """Where a collection's own results live: ``<data>/collections/<name>/``."""

    root: Path

    @classmethod
    def for_collection(cls, data_dir: Path, name: str) -> CollectionFolder:
        return cls(data_dir / "collections" / name)

    @classmethod
    def chosen(cls, data_dir: Path, name: str | None) -> list[CollectionFolder]:
        """The named collection's folder, or (no name) every collection's, by name."""
        if name is not None:
            return [cls.for_collection(data_dir, name)]
        return [cls(path) for path in sorted((data_dir / "collections").glob("*")) if path.is_dir()]

    @classmethod
    def existing(cls, data_dir: Path, name: str) -> CollectionFolder | None:
        """The folder of a collection there is, by its exact name; None for any other
        name (``..``, a path, a collection never made)."""
        return next((f for f in cls.chosen(data_dir, None) if f.name == name), None)

    @classmethod
    def named(cls, data_dir: Path, name: str) -> CollectionFolder:
        """The folder of the collection called ``name``; otherwise an error naming the
        collections there are (a name from a person or a request is never a path)."""
        found = cls.existing(data_dir, name)
        if found is None:
            there = ", ".join(f.name for f in cls.chosen(data_dir, None))
            raise UnknownCollection(
                f"there is no collection '{name}'",
                hint=f"the collections: {there}"
                if there
                else "ingest a folder first: `deerin ingest FOLDER -c NAME`",
            )
        return found

    @property
    def name(self) -> str:
        return self.root.name

    def path(self, name: str) -> Path:
        return self.root / name

    def step_manifest(self, step: str) -> dict[str, Any] | None:
        """The provenance a collection step last wrote here, if any."""
        try:
            return read_json(self.root / "steps" / f"{step}.json")
        except (OSError, ValueError):
            return None


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer at a time of a file people add to (corrections, people decisions): two
    people saving at once must not lose either change. ``path`` is the lock file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError as exc:
        raise store_error(exc, path) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def iso_time(timestamp: float) -> str:
    """A Unix time as ISO 8601 in UTC, to the second (provenance timestamps)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
