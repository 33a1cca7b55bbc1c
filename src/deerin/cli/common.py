"""What every `deerin` command shares: the consoles, settings, finding a video, commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from deerin.errors import DeerinError
from deerin.index.catalogue import open_catalogue
from deerin.settings import Settings, load_settings

out = Console(soft_wrap=True)  # long paths stay on one line, for grep and logs
err = Console(stderr=True)


@dataclass(frozen=True)
class Command:
    """A `deerin` command (a function) or command group (a Typer app), as plugins register
    them with the ``commands`` hook."""

    name: str
    target: Callable[..., Any] | typer.Typer


def settings_from(ctx: typer.Context, **flags: object) -> Settings:
    """Settings from file and environment, the global options, then this command's flags
    (``flags`` by dotted key, e.g. ``**{"run.workers": 2}``; None means not given)."""
    return load_settings({**ctx.find_root().obj, **flags})


def resolve_video(settings: Settings, text: str) -> tuple[str, str]:
    """A video's id and path from its id (or the start of it), file name or path."""
    catalogue = open_catalogue(settings)
    candidate = Path(text)
    matches = catalogue.find_videos(str(candidate.resolve()) if candidate.exists() else text)
    if not matches:
        raise DeerinError(
            "is not in the catalogue", path=text, hint="check `deerin status` for ids and names"
        )
    if len({m.id for m in matches}) > 1:
        names = ", ".join(f"{m.id[:8]} ({Path(m.path).name})" for m in matches[:5])
        raise DeerinError(f"matches several videos: {names}", path=text, hint="give more of the id")
    return matches[0].id, matches[0].path
