"""Subtitle files beside a video: ``film.srt``, ``film.vtt``, ``film.en.srt``, ``film.pt-BR.vtt``.

A sidecar belongs to the video whose file name it repeats, with at most one language
tag (ISO 639 code, optionally with a region) before its ``.srt`` or ``.vtt``. Ingest
uses this to report such files as attached to their video rather than as skipped; the
subtitles stage reads them (:mod:`deerin.enrich.subtitles.sidecars`).
"""

from __future__ import annotations

import re
from pathlib import Path

CODECS = {".srt": "subrip", ".vtt": "webvtt"}
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def sidecar_files(video: Path) -> list[Path]:
    """The subtitle files beside ``video`` that belong to it, by name."""
    try:
        beside = sorted(video.parent.iterdir())
    except OSError:
        return []
    return [path for path in beside if belongs(video, path) and path.is_file()]


def belongs(video: Path, path: Path) -> bool:
    """Whether ``path`` is, by its name, a subtitle file of ``video``."""
    return _tag(video, path) is not None


def language(video: Path, sidecar: Path) -> str | None:
    """The language tag in a sidecar's name (``film.en.srt``: "en"), or None."""
    return _tag(video, sidecar) or None


def _tag(video: Path, path: Path) -> str | None:
    """ "" for ``<stem>.srt``, the language for ``<stem>.<lang>.srt``, None for other files."""
    if path.suffix.lower() not in CODECS or not path.name.startswith(f"{video.stem}."):
        return None
    middle = path.name[len(video.stem) + 1 : -len(path.suffix)]
    if not middle:
        return ""
    return middle if LANGUAGE.fullmatch(middle) else None
