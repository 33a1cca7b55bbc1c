"""What `deerin supercut` and `deerin sequence` do with the edit they made.

Without ``-o`` the clips are listed; with it, the file's suffix picks the output: an MP4
rendered by ffmpeg (with a progress bar), or a timeline for editing software. Nothing
half-written is ever left: timelines are written atomically and the renderer removes
its own partial files.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from deerin.cli.common import err, out
from deerin.errors import DeerinError, StoreError
from deerin.export.shotlist import timecode
from deerin.index.schemas import Edit
from deerin.index.store import atomic_write_bytes

SUFFIXES = {".otio": "otio", ".edl": "edl", ".xml": "xml", ".fcpxml": "fcpxml",
            ".vtt": "vtt", ".csv": "csv"}  # fmt: skip
OUTPUT_HELP = (
    "Write it: .mp4 (rendered), .otio, .edl (CMX3600), .xml (FCP7: Premiere, Resolve), "
    ".fcpxml (Final Cut Pro, Resolve), .vtt (the phrases), .csv, .json."
)
INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


def deliver(edit: Edit, output: Path | None, as_json: bool) -> None:
    """List, print as JSON, render or export ``edit`` as the user asked."""
    for note in edit.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if output is None:
        if as_json:
            out.print_json(edit.model_dump_json())
        else:
            _listing(edit)
        return
    suffix = output.suffix.lower()
    if suffix == ".mp4":
        _render(edit, output)
        return
    if suffix == ".json":
        _write(output, edit.model_dump_json(indent=2))
    elif suffix in SUFFIXES:
        from deerin.export.timeline import export_edit  # OTIO loads only when asked for

        _write(output, export_edit(edit, SUFFIXES[suffix]))
    else:
        raise DeerinError(
            f"cannot tell what to write from the suffix {output.suffix or '(none)'!r}",
            path=output,
            hint="end the name in .mp4, .otio, .edl, .xml, .fcpxml, .vtt, .csv or .json",
        )
    _wrote(len(edit.clips), edit.duration, output)


def _clips(count: int) -> str:
    return f"{count} clip{'s' if count != 1 else ''}"


def _wrote(clips: int, seconds: float, output: Path) -> None:
    err.print(f"wrote {_clips(clips)} ({seconds:.1f} s) to {escape(str(output))}")


def _write(output: Path, text: str) -> None:
    """Write a timeline atomically; a path that cannot be written is said as -o's fault."""
    try:
        atomic_write_bytes(output, text.encode())
    except StoreError as exc:
        raise DeerinError(exc.problem, path=output, hint="choose another -o path") from None


def _listing(edit: Edit) -> None:
    table = Table(title=f"{escape(edit.name)}: {_clips(len(edit.clips))}, {edit.duration:.1f} s")
    for column in ("#", "film", "from", "to", "scale", "what"):
        table.add_column(column, overflow="fold")
    for number, clip in enumerate(edit.clips, start=1):
        source = edit.sources[clip.video_id]
        rate = source.fps or 25.0
        table.add_row(
            str(number),
            escape(source.title),
            timecode(clip.start, rate, drop_frame=False),
            timecode(clip.end, rate, drop_frame=False),
            clip.scale or "",
            escape(clip.caption[:120]),
        )
    out.print(table)


def _render(edit: Edit, output: Path) -> None:
    from deerin.interact.render import render

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("rendering clips", total=len(edit.clips))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = render(edit, output, progress=progress)
        except KeyboardInterrupt:
            err.print("stopped: nothing was written")
            raise typer.Exit(INTERRUPTED) from None
    for skipped in result.skipped:
        err.print(f"[yellow]skipped:[/] {escape(skipped.reason)}")
    _wrote(result.rendered, result.duration, output)
