"""Find the films and sound recordings to ingest: walk folders, or read a CSV catalogue.

This is the "reader" of the pipeline. It decides nothing about content beyond the
cheap facts (extension, size): ffprobe, in the probe stage, has the final word on
whether a file holds a picture or sound. Subtitle files beside a film are attached to
it (the subtitles stage reads them), not skipped.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from deerin.errors import DeerinError
from deerin.media.sidecars import CODECS, belongs

# Files that sit beside films in archive folders but never hold a picture or sound.
NOT_MEDIA_EXTENSIONS = {
    ".txt",
    ".md",
    ".csv",
    ".json",
    ".xml",
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".srt",
    ".vtt",
    ".ass",
    ".ssa",
    ".sub",
    ".idx",
    ".sup",
    ".nfo",
    ".log",
    ".md5",
    ".sha1",
    ".sha256",
    ".jpg",
    ".jpeg",
    ".png",
    ".tif",
    ".tiff",
    ".gif",
    ".bmp",
    ".webp",
    ".py",
    ".sh",
    ".html",
    ".htm",
    ".zip",
    ".tar",
    ".gz",
}
CATALOGUE_FIELDS = ("title", "date", "identifier", "rights", "description")
PATH_COLUMNS = ("path", "file", "filename", "file_path")


@dataclass(frozen=True)
class Candidate:
    """A file to consider, with the catalogue metadata that came with it."""

    path: Path
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Attached:
    """A subtitle file that belongs to the film beside it (shown in the ingest summary)."""

    path: Path
    video: Path


@dataclass(frozen=True)
class Rejected:
    """A file not ingested, and why (shown by `deerin status`)."""

    path: Path
    reason: str


def discover(paths: list[Path]) -> Iterator[Candidate | Rejected | Attached]:
    """Yield candidates from folders (recursively), single files and CSV catalogues."""
    for path in paths:
        if not path.exists():
            yield Rejected(path, "does not exist — check the path")
        elif path.is_dir():
            yield from _walk(path)
        elif path.suffix.lower() == ".csv":
            yield from read_catalogue(path)
        else:
            yield _check(Candidate(path.resolve()))


def _walk(folder: Path) -> Iterator[Candidate | Rejected | Attached]:
    for child in sorted(folder.rglob("*")):
        if child.is_file() and not any(part.startswith(".") for part in child.parts[-1:]):
            yield _check(Candidate(child.resolve()))


def _check(candidate: Candidate) -> Candidate | Rejected | Attached:
    path = candidate.path
    suffix = path.suffix.lower()
    if suffix in CODECS and (video := _owner(path)) is not None:
        return Attached(path, video)
    if suffix in NOT_MEDIA_EXTENSIONS:
        return Rejected(path, f"not a media file ({suffix} file)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        return Rejected(path, f"cannot be read ({exc.strerror}) — check its permissions")
    if not os.access(path, os.R_OK):
        return Rejected(path, "cannot be read (no permission) — check its permissions")
    if size == 0:
        return Rejected(path, "empty file (0 bytes) — re-copy it from the source")
    return candidate


def _owner(sidecar: Path) -> Path | None:
    """The film a subtitle file belongs to, by name, when one is beside it (the names
    are compared first: a folder of thousands of films is listed, never stat'ed, once
    per subtitle file)."""
    try:
        beside = sorted(sidecar.parent.iterdir())
    except OSError:
        return None
    for path in beside:
        media = path.suffix.lower() not in NOT_MEDIA_EXTENSIONS
        if media and belongs(path, sidecar) and path.is_file():
            return path
    return None


def read_catalogue(csv_path: Path) -> Iterator[Candidate | Rejected | Attached]:
    """Read a CSV catalogue: a path column plus optional title, date, identifier, rights,
    description columns (kept as catalogue metadata). Relative paths are relative to the CSV."""
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DeerinError(
            f"cannot read the catalogue ({exc})", path=csv_path, hint="save it as UTF-8 CSV"
        ) from exc
    for number, row in enumerate(rows, start=2):
        columns = {key.strip().lower(): (value or "").strip() for key, value in row.items() if key}
        raw = next((columns[c] for c in PATH_COLUMNS if columns.get(c)), "")
        if not raw:
            yield Rejected(csv_path, f"row {number} has no path column ({'/'.join(PATH_COLUMNS)})")
            continue
        path = Path(raw).expanduser()
        path = (path if path.is_absolute() else csv_path.parent / path).resolve()
        metadata = {k: columns[k] for k in CATALOGUE_FIELDS if columns.get(k)}
        if not path.exists():
            yield Rejected(path, f"listed in {csv_path.name} row {number} but not found")
        else:
            yield _check(Candidate(path, metadata))
