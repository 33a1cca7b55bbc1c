"""`deerin ingest`: films and sound recordings in, every enrichment stage run on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from deerin.cli.common import err, out, settings_from
from deerin.errors import DeerinError, closest
from deerin.models.resolver import CAPABILITIES
from deerin.pipeline.ingest import IngestReport, ingest
from deerin.pipeline.progress import JsonReporter, LiveReporter, Reporter
from deerin.settings import Settings

Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Parallel videos [default: cores].")
]


def model_flags(pairs: list[str]) -> dict[str, str]:
    """``--model tags=openai/clip-vit-base-patch32`` as settings (``models.tags``)."""
    flags = {}
    for pair in pairs:
        capability, _, value = pair.partition("=")
        if capability not in CAPABILITIES or not value:
            close = closest(capability, CAPABILITIES)
            guess = f"did you mean {close}? " if close and value else ""
            raise DeerinError(
                f"--model {pair}: expected CAPABILITY=MODEL with a known capability",
                hint=f"{guess}capabilities: {', '.join(CAPABILITIES)} (see `deerin models`)",
            )
        flags[f"models.{capability}"] = value
    return flags


def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Films, sound recordings, folders, or CSV catalogues.")
    ],
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Collection name.")
    ] = None,
    workers: Workers = None,
    redo: Annotated[
        list[str] | None,
        typer.Option(
            "--redo", help="Force a stage (and what reads it), e.g. --redo faces; or all."
        ),
    ] = None,
    shot_method: Annotated[
        Literal["auto", "pyscenedetect", "transnetv2"] | None,
        typer.Option("--shot-method", help="auto, pyscenedetect, transnetv2."),
    ] = None,
    proxy: Annotated[
        bool | None, typer.Option("--proxy/--no-proxy", help="Make browser proxies.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for another ingest of this collection.")
    ] = False,
    executor: Annotated[
        Literal["local", "ray"] | None,
        typer.Option("--executor", help="local (a process pool here) or ray (a Ray cluster)."),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="With --executor ray: 'auto' joins this node's cluster (after `ray start`), "
            "ray://HOST:10001 a remote one; unset starts Ray here.",
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", help="Do not run this stage (repeatable), e.g. --skip captions."),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="Use another model for a capability: CAPABILITY=NAME|PATH (see `deerin models`).",
        ),
    ] = None,
) -> None:
    """Ingest films and sound recordings: shots, keyframes, transcripts and every other
    enrichment, skipping finished work."""
    flags = {
        "run.workers": workers,
        "models.shots": shot_method,
        "proxy.enabled": proxy,
        "run.skip_stages": skip,
        "run.executor": executor,
        "run.ray_address": ray_address,
    }
    given = model_flags(model or [])
    if shot_method is not None and "models.shots" in given:
        raise DeerinError(
            "--shot-method and --model shots= both choose the shot detector",
            hint="give one of them",
        )
    settings = settings_from(ctx, **(flags | given))
    name = collection or _default_collection(paths)
    with resumable():
        report = ingest(
            paths, name, settings, reporter(settings), redo=frozenset(redo or ()), wait=wait
        )
    print_ingest(report, settings)
    if not report.ok:
        raise typer.Exit(1)


@contextmanager
def resumable() -> Iterator[None]:
    """Ctrl-C stops the work at once; published artefacts stay, and a rerun resumes."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(
            "\n[yellow]Interrupted.[/] Finished work is kept; run the same command to resume."
        )
        raise typer.Exit(130) from None


def _default_collection(paths: list[Path]) -> str:
    first = paths[0].resolve()
    return (first if first.is_dir() else first.parent).name or "default"


def reporter(settings: Settings) -> Reporter:
    return JsonReporter() if settings.run.log_json else LiveReporter(err)


def print_ingest(report: IngestReport, settings: Settings) -> None:
    out.print(
        f"Collection [bold]{escape(report.collection)}[/]: {len(report.videos)} "
        f"file{'' if len(report.videos) == 1 else 's'} in {escape(str(settings.data_dir))}"
    )
    if report.also_skipped:
        out.print(f"  [dim]also skipped[/] {', '.join(report.also_skipped)}: they need a stage "
                  "that --skip left out")  # fmt: skip
    for path, original in report.duplicates:
        out.print(
            f"  [cyan]duplicate[/] {escape(str(path))} — same content as "
            f"{escape(str(original))}; not processed again"
        )
    for item in report.attached:
        out.print(
            f"  [dim]attached[/] {escape(item.path.name)} to {escape(item.video.name)} (subtitles)"
        )
    for item in report.rejected + report.not_videos:
        out.print(f"  [dim]skipped[/] {escape(str(item.path))}: {escape(item.reason)}")
    for video_id, stages in report.failed.items():
        out.print(f"  [red]failed[/] {video_id}: {', '.join(stages)} — see `deerin status`")
    for step in report.steps:
        colour = {"failed": "red", "partial": "yellow"}.get(step.status, "green")
        out.print(f"  [{colour}]{step.status}[/] collection {step.step}: {escape(step.detail)}")
