"""`deerin status`: what is done, failed or pending for every video, and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deerin.cli.common import out, settings_from
from deerin.index.catalogue import VideoRow, open_catalogue
from deerin.index.store import CollectionFolder
from deerin.pipeline.graph import stage_graph
from deerin.plugins.stage import facts

SYMBOLS = {
    "done": "[green]✓[/]",
    "partial": "[yellow]◐[/]",
    "failed": "[red]✗[/]",
    "blocked": "[red]–[/]",
    "skipped": "[dim]·[/]",
    "pending": "[dim]…[/]",
    "running": "[blue]▶[/]",
}


ATTENTION = ("failed", "partial", "blocked")


def status(
    ctx: typer.Context,
    collection: Annotated[str | None, typer.Option("--collection", "-c")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    grid: Annotated[
        bool, typer.Option("--stages", help="One column per stage instead of a summary.")
    ] = False,
) -> None:
    """Show what is done, failed or pending for every video, and why."""
    settings = settings_from(ctx)
    catalogue = open_catalogue(settings)
    rows = [(v, catalogue.stage_states(v.id)) for v in catalogue.videos(collection)]
    skipped = catalogue.skipped(collection)
    steps = _collection_steps(settings.data_dir, collection)
    if as_json:
        out.print_json(json.dumps(_as_json(rows, skipped, steps)))
        return
    out.print(_grid(rows, settings.data_dir) if grid else _summary(rows, settings.data_dir))
    out.print("✓ done  ◐ partial  ✗ failed  – blocked  · skipped or not needed  … pending")
    for video, states in rows:
        for stage, (state, detail) in states.items():
            if state in ATTENTION:
                first = detail.splitlines()[0] if detail else ""
                name = escape(Path(video.path).name)
                out.print(f"{SYMBOLS[state]} {name} {stage}: {escape(first)}")
    for name, manifest in steps:
        mark = SYMBOLS["partial" if manifest.get("problem") else "done"]
        said = manifest.get("problem") or facts(manifest.get("summary", {}))
        step = manifest.get("step", "?")
        out.print(f"{mark} collection {escape(name)} {step}: {escape(said)}")
    for path, reason in skipped:
        out.print(f"[dim]skipped[/] {escape(path)}: {escape(reason)}")


def _summary(rows: list[tuple[VideoRow, dict]], data_dir: Path) -> Table:
    """One line per file: how many stages are done and which need attention."""
    stages = stage_graph().names()
    table = Table(title=f"{len(rows)} files in {data_dir}")
    for column in ("file", "id", "kind", "duration", "stages done", "needs attention"):
        table.add_column(column)
    for video, states in rows:
        finished = sum(states.get(s, ("",))[0] in ("done", "skipped") for s in stages)
        attention = [f"{SYMBOLS[st]} {name}" for name, (st, _) in states.items() if st in ATTENTION]
        pending = [name for name, (st, _) in states.items() if st in ("pending", "running")]
        if pending:
            attention.append(f"{SYMBOLS['pending']} {', '.join(pending)}")
        table.add_row(
            escape(Path(video.path).name),
            video.id[:8],
            video.kind or "?",
            _length(video),
            f"{finished}/{len(stages)}",
            "  ".join(attention),
        )
    return table


def _grid(rows: list[tuple[VideoRow, dict]], data_dir: Path) -> Table:
    """One column per stage, for a close look at where each video stands."""
    stages = stage_graph().names()
    table = Table(title=f"{len(rows)} files in {data_dir}")
    for column in ("video", "id", "duration", *stages):
        table.add_column(column)
    for video, states in rows:
        marks = [SYMBOLS.get(states.get(s, ("", ""))[0], " ") for s in stages]
        table.add_row(escape(Path(video.path).name), video.id[:8], _length(video), *marks)
    return table


def _length(video: VideoRow) -> str:
    return f"{video.duration:.1f}s" if video.duration else "?"


def _collection_steps(data_dir: Path, collection: str | None) -> list[tuple[str, dict]]:
    """The last run of each collection step (people, duplicates), per collection."""
    found = []
    for folder in CollectionFolder.chosen(data_dir, collection):
        for step in sorted(stage_graph().step_names()):
            manifest = folder.step_manifest(step)
            if manifest is not None:
                found.append((folder.name, manifest))
    return found


def _as_json(
    rows: list[tuple[VideoRow, dict]], skipped: list[tuple[str, str]], steps: list[tuple[str, dict]]
) -> dict:
    return {
        "videos": [
            {
                "id": video.id,
                "path": video.path,
                "duration": video.duration,
                "kind": video.kind,
                "metadata": video.metadata,
                "stages": {k: {"status": s, "detail": d} for k, (s, d) in states.items()},
            }
            for video, states in rows
        ],
        "collections": [
            {
                "collection": name,
                "step": m.get("step"),
                "summary": m.get("summary"),
                "problem": m.get("problem"),
                "finished": m.get("finished"),
            }
            for name, m in steps
        ],
        "skipped": [{"path": p, "reason": why} for p, why in skipped],
    }
