"""The `deerin` command: a typed CLI over the pipeline, the store and the exports."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deerin import __version__
from deerin.cli.people import people_app
from deerin.errors import DeerinError
from deerin.export.events import FORMATS as EVENT_FORMATS
from deerin.export.events import export_events, face_events, subtitle_events
from deerin.export.shotlist import FORMATS as SHOT_FORMATS
from deerin.export.shotlist import export_shots
from deerin.index.artefacts import VideoFolder, atomic_write_bytes, read_json
from deerin.media.synth import build_demo_tape
from deerin.models.registry import CAPABILITIES, describe
from deerin.models.registry import verify as verify_bundled
from deerin.pipeline.collection import collection_folder
from deerin.pipeline.ingest import IngestReport, ingest, open_catalogue
from deerin.pipeline.progress import JsonReporter, LiveReporter, Reporter
from deerin.pipeline.registry import stage_names
from deerin.pipeline.stage import probed
from deerin.settings import Settings, ShotMethod, load_settings

app = typer.Typer(
    help="DEERIn: enrich, explore, retrieve and interact with moving-image archives.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(soft_wrap=True)  # long paths stay on one line, for grep and logs
err = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Store folder [env DEERIN_DATA_DIR].")
]
Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Parallel videos [default: cores].")
]


def _settings(ctx: typer.Context, **overrides: object) -> Settings:
    root = ctx.find_root()
    return load_settings(**root.obj, **overrides)


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
    settings = _settings(
        ctx,
        workers=workers,
        shot_method=shot_method,
        proxy=proxy,
        skip_stages=skip,
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


SYMBOLS = {
    "done": "[green]✓[/]",
    "partial": "[yellow]◐[/]",
    "failed": "[red]✗[/]",
    "blocked": "[red]–[/]",
    "skipped": "[dim]·[/]",
    "pending": "[dim]…[/]",
    "running": "[blue]▶[/]",
}


@app.command()
def status(
    ctx: typer.Context,
    collection: Annotated[str | None, typer.Option("--collection", "-c")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show what is done, failed or pending for every video, and why."""
    settings = _settings(ctx)
    catalogue = open_catalogue(settings)
    stages = stage_names()
    rows = [
        {"video": v, "stages": catalogue.stage_states(v.id)} for v in catalogue.videos(collection)
    ]
    skipped = catalogue.skipped(collection)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "videos": [
                        {
                            "id": r["video"].id,
                            "path": r["video"].path,
                            "duration": r["video"].duration,
                            "metadata": r["video"].metadata,
                            "stages": {
                                k: {"status": s, "detail": d} for k, (s, d) in r["stages"].items()
                            },
                        }
                        for r in rows
                    ],
                    "skipped": [{"path": p, "reason": why} for p, why in skipped],
                }
            )
        )
        return
    table = Table(title=f"{len(rows)} videos in {settings.data_dir}")
    for column in ("video", "id", "duration", *stages):
        table.add_column(column)
    for row in rows:
        video = row["video"]
        marks = [SYMBOLS.get(row["stages"].get(s, ("", ""))[0], " ") for s in stages]
        length = f"{video.duration:.1f}s" if video.duration else "?"
        table.add_row(Path(video.path).name, video.id[:8], length, *marks)
    out.print(table)
    out.print("✓ done  ◐ partial  ✗ failed  – blocked  · skipped or not needed  … pending")
    for row in rows:
        for stage, (state, detail) in row["stages"].items():
            if state in ("failed", "partial", "blocked"):
                first = detail.splitlines()[0] if detail else ""
                out.print(f"{SYMBOLS[state]} {Path(row['video'].path).name} {stage}: {first}")
    for path, reason in skipped:
        out.print(f"[dim]skipped[/] {path}: {reason}")


LAYERS = {  # layer: (artefact, the stage that writes it, what the layer holds)
    "text": ("text.json", "text", "on-screen text events"),
    "subtitles": ("subtitles.json", "subtitles", "subtitles"),
    "faces": ("faces.json", "faces", "face appearances"),
    "tech": ("tech.json", "tech", "technical events"),
}


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    video: Annotated[str, typer.Argument(help="Video id (or its start), file name or path.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="Shots: csv, json, otio, edl. Other layers: vtt, srt, csv, json."
        ),
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write [default: stdout].")
    ] = None,
    layer: Annotated[
        str, typer.Option("--layer", "-l", help="shots, text, subtitles, faces or tech.")
    ] = "shots",
    track: Annotated[
        int | None,
        typer.Option("--track", help="Subtitles: one track, by stream index [default: all]."),
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection", "-c", help="Faces: whose people name them [default: every collection]."
        ),
    ] = None,
) -> None:
    """Export a video's shots, or its text, subtitle, face or technical events, with times."""
    formats = SHOT_FORMATS if layer == "shots" else EVENT_FORMATS
    if layer != "shots" and layer not in LAYERS:
        raise typer.BadParameter(
            f"{layer!r}: choose shots, {', '.join(LAYERS)}", param_hint="--layer"
        )
    if fmt not in formats:
        raise typer.BadParameter(
            f"{fmt!r} is not a format for {layer}: choose {', '.join(formats)}",
            param_hint="--format",
        )
    settings = _settings(ctx)
    video_id, path = _resolve_video(settings, video)
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    if layer == "shots":
        if not folder.path("shots.json").exists():
            raise DeerinError(
                "has no shot list yet", path=path, hint="run `deerin ingest` on it first"
            )
        text = export_shots(read_json(folder.path("shots.json")), fmt, source=Path(path))
    else:
        events = _layer_events(settings, folder, layer, video_id, path, track, collection)
        title = Path(path).stem
        text = export_events(events, fmt, title=title, fps=probed(folder).fps, source=Path(path))
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))
        err.print(f"wrote {output}")


def _layer_events(
    settings: Settings,
    folder: VideoFolder,
    layer: str,
    video_id: str,
    path: str,
    track: int | None,
    collection: str | None,
) -> list[dict]:
    """The events of one layer, read from the artefact of the stage that made them."""
    artefact, stage, holds = LAYERS[layer]
    if not folder.path(artefact).exists():
        raise DeerinError(
            f"has no {holds} yet",
            path=path,
            hint=f"run `deerin ingest` on it; if the {stage} stage was skipped (--skip {stage}), "
            "run it without",
        )
    document = read_json(folder.path(artefact))
    if layer == "subtitles":
        streams = [t["stream"] for t in document["tracks"]]
        if track is not None and track not in streams:
            found = ", ".join(str(s) for s in streams) or "none"
            raise DeerinError(
                f"has no subtitle track {track} (tracks by stream index: {found})", path=path
            )
        return subtitle_events(document, track)
    if layer == "faces":
        return face_events(document, _people(settings, collection), video_id)
    return document["events"]


def _people(settings: Settings, collection: str | None) -> list[dict]:
    """The people.json of one collection, or of every collection that has one."""
    if collection:
        files = [collection_folder(settings, collection) / "people.json"]
    else:
        files = sorted((settings.data_dir / "collections").glob("*/people.json"))
    return [read_json(f) for f in files if f.exists()]


def _resolve_video(settings: Settings, text: str) -> tuple[str, str]:
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


@app.command()
def demo(
    ctx: typer.Context,
    workers: Workers = None,
) -> None:
    """Build a small synthetic archive tape with a known structure, ingest it, show results."""
    settings = _settings(ctx, workers=workers)
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
    out.print(
        f"\nFound {len(shots)} shots; the tape was built with {len(tape.boundaries) + 1}."
        f"\nLook at:\n  contact sheet  {folder.path('contact_sheet.jpg')}"
        f"\n  barcode        {folder.path('barcode.png')}"
        f"\n  keyframes      {folder.path('keyframes')}/"
        f"\n  shot list      deerin --data-dir {settings.data_dir} export {report.videos[0][:8]} "
        "--format csv"
        f"\n  status         deerin --data-dir {settings.data_dir} status"
    )


models_app = typer.Typer(
    help="Which model each capability uses, where its weights are, and whether it is offline.",
    invoke_without_command=True,
)
app.add_typer(models_app, name="models")
app.add_typer(people_app, name="people")


@models_app.callback()
def models_list(ctx: typer.Context) -> None:
    """List each capability's configured model."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(ctx)
    table = Table(title="Models (change one with a setting or `deerin ingest --model CAP=...`)")
    for column in ("capability", "model", "kind", "backend", "licence", "offline", "weights"):
        table.add_column(column)
    for item in describe(settings):
        offline = "[green]yes[/]" if item.offline else "[red]no[/]"
        table.add_row(
            item.capability,
            item.name,
            item.kind,
            item.backend,
            item.licence,
            offline,
            item.location,
        )
    out.print(table)


@models_app.command("verify")
def models_verify() -> None:
    """Check every bundled weight file against its sha256; exit 1 if any is wrong."""
    bad = 0
    for model, file, problem in verify_bundled():
        mark = "[red]✗[/]" if problem else "[green]✓[/]"
        out.print(f"{mark} {model.name:<20} {file.relative}  {problem or file.sha256[:16]}")
        bad += problem is not None
    if bad:
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    """Entry point: a user's error becomes one clear line, not a traceback."""
    try:
        app()
    except DeerinError as exc:
        err.print(f"[red]error:[/] {exc.message}")
        sys.exit(2)
