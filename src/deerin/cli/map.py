"""`deerin map`: lay a collection's shots out as a map (projections, grid, date, video and
place layouts, labelled clusters), and export it as a folder that opens anywhere.

Ingest keeps the map up to date by itself (the collection step ``map``); this command
runs that step now (``--refit`` fits the projections again from scratch) and shows what
came out.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from deerin.cli.common import err, out, settings_from
from deerin.errors import DeerinError
from deerin.explore.bundle import Bundle, export
from deerin.explore.map import MODEL, read_map
from deerin.index import artefacts
from deerin.index.schemas import MapInfo
from deerin.index.sets import read_sets
from deerin.index.store import CollectionFolder
from deerin.pipeline.ingest import refresh_collection


class _MapGroup(TyperGroup):
    """`deerin map NAME` means `deerin map -c NAME` (a name that is no subcommand)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["--collection", args[0], *args[1:]]
        return super().parse_args(ctx, args)


map_app = typer.Typer(
    cls=_MapGroup,
    invoke_without_command=True,
    no_args_is_help=False,
    help="Map a collection: every shot placed by what it shows and says, in clusters.",
)


@map_app.callback()
def map_cmd(
    ctx: typer.Context,
    collection: Annotated[
        str | None,
        typer.Option("--collection", "-c", help="Collection (or its name first; default: all)."),
    ] = None,
    refit: Annotated[
        bool,
        typer.Option("--refit", help="Fit the projections again (every shot may move)."),
    ] = False,
) -> None:
    """Make or update the map (`deerin map NAME`); `deerin map export` writes it out."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {**(ctx.obj or {}), "map_collection": collection}
        return
    settings = settings_from(ctx)
    folders = CollectionFolder.chosen(settings.data_dir, collection)
    if not folders or not folders[0].root.is_dir():
        raise DeerinError(
            f"there is no collection {collection!r}" if collection else "no collections yet",
            path=settings.data_dir,
            hint="ingest a folder first: `deerin ingest FOLDER -c NAME`",
        )
    failed = []
    for folder in folders:
        if refit:
            with contextlib.suppress(FileNotFoundError):
                folder.path(MODEL).unlink()

        def say(line: str, name: str = folder.name) -> None:
            err.print(f"  {escape(name)}: {escape(line)}")

        def wait(why: str) -> None:
            err.print(f"[yellow]{escape(why)}; waiting…[/]")

        results = refresh_collection(
            settings, folder.name, ("map",), frozenset({"map"}), on_wait=wait, say=say
        )
        problems = [r.detail for r in results if r.status == "failed"]
        if problems:  # one collection's failure must not keep the others unmapped
            err.print(f"[red]{escape(folder.name)}: the map failed: {escape(problems[0])}[/]")
            failed.append(folder.name)
        elif any(r.detail.startswith("shots 0") for r in results):
            out.print(f"{escape(folder.name)}: no shots with pictures (sound only): no map")
        else:
            _summary(folder)
    if failed:
        raise DeerinError(f"the map failed for {', '.join(failed)}", hint="see the lines above")


def _summary(folder: CollectionFolder) -> None:
    """What the map holds, from its info alone (its points are not read again)."""
    info, collection = artefacts.read(folder, MapInfo), folder.name
    fitted = ", ".join(f"{name} fitted on {n}" for name, n in info.fitted.items())
    out.print(f"{escape(collection)}: {info.count} shots, {len(info.clusters)} clusters ({fitted})")
    for cluster in info.clusters[:12]:
        out.print(f"  {cluster.id:>3}  {cluster.size:>7} shots  {escape(cluster.label)}")
    if len(info.clusters) > 12:
        out.print(f"  … and {len(info.clusters) - 12} more")
    layouts = ", ".join(layout.name for layout in info.layouts)
    out.print(f"  layouts: {layouts}; see it: deerin serve, then /map?collection={collection}")


@map_app.command("sets")
def sets_cmd(
    ctx: typer.Context,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="The collection whose sets.")
    ] = None,
) -> None:
    """List the named sets of shots (saved from a lasso on the map page; `set:NAME` in
    search)."""
    chosen = collection or (ctx.obj or {}).get("map_collection")
    if chosen is None:
        raise DeerinError("say which collection", hint="e.g. `deerin map sets -c archive`")
    found = read_sets(settings_from(ctx), chosen).sets
    if not found:
        out.print(f"{escape(chosen)} has no sets yet: draw a lasso on the map page to make one")
    for shot_set in found:
        who = f" by {shot_set.by}" if shot_set.by else ""
        out.print(
            f"{escape(shot_set.name)}: {len(shot_set.shots)} shots ({escape(shot_set.made)}"
            f"{escape(who)}); search it with set:{escape(json.dumps(shot_set.name))}"
        )


@map_app.command("export")
def export_cmd(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write (created).")],
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="The collection whose map.")
    ] = None,
) -> None:
    """Write the map as a folder that opens from disk or any static web server (page,
    layouts, thumbnails as atlas pages), and points.parquet for other tools."""
    chosen = collection or (ctx.obj or {}).get("map_collection")
    if chosen is None:
        raise DeerinError(
            "say which collection's map", hint="e.g. `deerin map export -c archive -o map/`"
        )
    settings = settings_from(ctx)
    if output.exists() and not output.is_dir():
        raise DeerinError("is a file, not a folder to write the map into", path=output)
    bundle = Bundle(read_map(settings, chosen), settings.data_dir, chosen)
    written = export(bundle, output, lambda line: err.print(f"  {escape(line)}"))
    out.print(
        f"wrote {written} files under {escape(str(output))}: open "
        f"{escape(str(output / 'index.html'))} (points.parquet has every shot's places)"
    )
