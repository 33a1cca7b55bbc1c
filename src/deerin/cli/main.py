"""The `deerin` command: a typed CLI over the pipeline, the store and the exports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer

from deerin import __version__
from deerin.cli.common import err, out, settings_from
from deerin.cli.export import export_cmd
from deerin.cli.models import models_app
from deerin.cli.people import people_app
from deerin.cli.status import status
from deerin.errors import DeerinError
from deerin.index.artefacts import VideoFolder, read_json
from deerin.media.synth import build_demo_tape
from deerin.models.registry import CAPABILITIES
from deerin.pipeline.ingest import IngestReport, ingest
from deerin.pipeline.progress import JsonReporter, LiveReporter, Reporter
from deerin.pipeline.registry import stage_names
from deerin.settings import Settings, ShotMethod

app = typer.Typer(
    help="DEERIn: enrich, explore, retrieve and interact with moving-image archives.",
    no_args_is_help=True,
    add_completion=False,
)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Store folder \\[env DEERIN_DATA_DIR].")
]
Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Parallel videos [default: cores].")
]


def model_overrides(pairs: list[str]) -> dict[str, str]:
    """``--model tags=openai/clip-vit-base-patch32`` as settings (``tags_model=...``)."""
    overrides = {}
    for pair in pairs:
        capability, _, value = pair.partition("=")
        if capability not in CAPABILITIES or not value:
            raise typer.BadParameter(
                f"{pair!r}: expected CAPABILITY=MODEL with a capability among "
                f"{', '.join(CAPABILITIES)}",
                param_hint="--model",
            )
        overrides[CAPABILITIES[capability]] = value
    return overrides


@app.callback()
def _global(
    ctx: typer.Context,
    data_dir: DataDir = None,
    log_json: Annotated[
        bool | None, typer.Option("--log-json", help="JSON-lines logs on stderr.")
    ] = None,
) -> None:
    ctx.obj = {"data_dir": data_dir, "log_json": log_json}


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Video files, folders, or CSV catalogues.")],
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Collection name.")
    ] = None,
    workers: Workers = None,
    redo: Annotated[
        list[str] | None,
        typer.Option(
            "--redo", help=f"Force a stage (and what reads it): {', '.join(stage_names())}, all."
        ),
    ] = None,
    shot_method: Annotated[
        ShotMethod | None, typer.Option("--shot-method", help="auto, pyscenedetect, transnetv2.")
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
    """Ingest videos: shots, keyframes, proxies and enrichment, skipping finished work."""
    settings = settings_from(
        ctx,
        workers=workers,
        shot_method=shot_method,
        proxy=proxy,
        skip_stages=skip,
        executor=executor,
        ray_address=ray_address,
        **model_overrides(model or []),
    )
    name = collection or _default_collection(paths)
    with _resumable():
        report = ingest(
            paths, name, settings, _reporter(settings), redo=frozenset(redo or ()), wait=wait
        )
    _print_ingest(report, settings)
    if not report.ok:
        raise typer.Exit(1)


@contextmanager
def _resumable() -> Iterator[None]:
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


def _reporter(settings: Settings) -> Reporter:
    return JsonReporter() if settings.log_json else LiveReporter(err)


def _print_ingest(report: IngestReport, settings: Settings) -> None:
    out.print(
        f"Collection [bold]{report.collection}[/]: {len(report.videos)} videos in "
        f"{settings.data_dir}"
    )
    for path, original in report.duplicates:
        out.print(f"  [cyan]duplicate[/] {path} — same content as {original}; not processed again")
    for item in report.rejected + report.not_videos:
        out.print(f"  [dim]skipped[/] {item.path}: {item.reason}")
    for video_id, stages in report.failed.items():
        out.print(f"  [red]failed[/] {video_id}: {', '.join(stages)} — see `deerin status`")
    for step in report.steps:
        colour = {"failed": "red", "partial": "yellow"}.get(step.status, "green")
        out.print(f"  [{colour}]{step.status}[/] collection {step.step}: {step.detail}")


@app.command()
def demo(
    ctx: typer.Context,
    workers: Workers = None,
) -> None:
    """Build a small synthetic archive tape with a known structure, ingest it, show results."""
    settings = settings_from(ctx, workers=workers)
    tape_path = settings.data_dir / "demo" / "demo_tape.mkv"
    err.print(f"Building the demo tape at {tape_path} …")
    tape = build_demo_tape(tape_path)
    with _resumable():
        report = ingest([tape_path], "demo", settings, _reporter(settings))
    _print_ingest(report, settings)
    if not report.videos:
        raise typer.Exit(1)
    folder = VideoFolder.for_video(settings.data_dir, report.videos[0])
    shots = read_json(folder.path("shots.json"))["shots"]
    out.print(f"\nFound {len(shots)} shots; the tape was built with {len(tape.boundaries) + 1}.")
    for line in _highlights(folder):
        out.print(f"  {line}")
    short = f"deerin --data-dir {settings.data_dir}"
    video = report.videos[0][:8]
    out.print(
        f"Look at:\n  contact sheet  {folder.path('contact_sheet.jpg')}"
        f"\n  barcode        {folder.path('barcode.png')}"
        f"\n  keyframes      {folder.path('keyframes')}/"
        f"\n  shot list      {short} export {video} --format csv"
        f"\n  text events    {short} export {video} --layer text --format vtt"
        f"\n  tech events    {short} export {video} --layer tech --format csv"
        f"\n  transcript     {short} export {video} --layer transcript --format vtt"
        f"\n  status         {short} status"
    )


def _highlights(folder: VideoFolder) -> list[str]:
    """A few lines on what the enrichment found, from the artefacts that exist."""
    lines = []
    if folder.path("text.json").exists():
        events = read_json(folder.path("text.json"))["events"]
        texts = [e["text"].replace("\n", " / ") for e in events]
        lines.append(f"On-screen text, {len(texts)} events: " + "; ".join(texts[:4]))
    if folder.path("tech.json").exists():
        tech = read_json(folder.path("tech.json"))
        kinds = sorted({e["kind"] for e in tech["events"]})
        lines.append(f"Technical events: {len(tech['events'])} ({', '.join(kinds)})")
    if folder.path("transcript.json").exists():
        segments = read_json(folder.path("transcript.json"))["segments"]
        if segments:
            lines.append(f"Transcript, {len(segments)} segments: “{segments[0]['text']}” …")
    if folder.path("summary.json").exists():
        summary = read_json(folder.path("summary.json"))
        if summary.get("title"):
            model = summary["model"]["name"]
            lines.append(f"Title (generated by {model}): {summary['title']}")
    if folder.path("captions.json").exists():
        captions = read_json(folder.path("captions.json"))["captions"]
        if captions:
            fullest = max(captions, key=lambda c: len(c["answer"] or ""))
            shot, source = fullest["shot"] + 1, fullest["source"]
            lines.append(f"Caption ({source}) of shot {shot}: {fullest['answer']}")
    return lines


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


# Commands that live in their own modules, after ingest and demo in `deerin --help`.
app.command()(status)
app.command("export")(export_cmd)
app.add_typer(models_app, name="models")
app.add_typer(people_app, name="people")


def main() -> None:
    """Entry point: a user's error becomes one clear line, not a traceback."""
    try:
        app()
    except DeerinError as exc:
        err.print(f"[red]error:[/] {exc.message}")
        sys.exit(2)
