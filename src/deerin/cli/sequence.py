"""`deerin sequence`: shots from a search (or a list), put in order by a strategy and cut
to a length: a first assembly to take into editing software, or to watch as an MP4."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deerin.cli.common import resolve_video, settings_from
from deerin.cli.edits import OUTPUT_HELP, deliver
from deerin.index.catalogue import video_collections
from deerin.interact.rhythm import CUT_ON, RhythmClip, parse_rhythm
from deerin.interact.sequence import STRATEGIES, build_sequence, candidates
from deerin.retrieve.query import parse_shot
from deerin.settings import Settings


def sequence_cmd(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help="The search whose shots to use: words, person:, place:, set:NAME (a "
            "selection on the map), video:, year:… (see docs/search.md)."
        ),
    ] = "",
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="One collection [default: all].")
    ] = None,
    shots: Annotated[
        str | None,
        typer.Option("--shots", help="Shots to use too, VIDEO:SHOT,VIDEO:SHOT (id or file name)."),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help=f"{', '.join(STRATEGIES)} [default: rhythm with --rhythm, prompt with "
            "--prompt, else chronological].",
        ),
    ] = None,
    length: Annotated[float, typer.Option("--length", help="Seconds the sequence lasts.")] = 60.0,
    prompt: Annotated[
        str | None,
        typer.Option(
            "--prompt",
            help="What the sequence should be, for a language model at llm.endpoint, e.g. "
            '"a calm morning turning into a storm".',
        ),
    ] = None,
    rhythm: Annotated[
        str | None,
        typer.Option(
            "--rhythm",
            help="Cut to this sound: VIDEO:START-END (seconds or m:s) or a sound file.",
        ),
    ] = None,
    cut_on: Annotated[
        str, typer.Option("--cut-on", help=f"With --rhythm: {' or '.join(CUT_ON)}.")
    ] = "beats",
    max_shot: Annotated[
        float, typer.Option("--max-shot", help="Longest clip, seconds (cut from the middle).")
    ] = 6.0,
    min_shot: Annotated[
        float, typer.Option("--min-shot", help="Shorter shots are passed over (seconds).")
    ] = 1.0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=OUTPUT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the edit as JSON.")] = False,
) -> None:
    """Assemble a sequence from a search's shots: in time order, as a chain of look-alike
    pictures, as analytical editing (wide, medium, close), to a clip's beats, or as a
    language model reads a prompt.

    Examples: deerin sequence 'harbour' --strategy analytical -o harbour.fcpxml ;
    deerin sequence set:storms --rhythm 9f3a2c:1:00-1:30 -o storms.mp4 ;
    deerin sequence year:1950..1959 --prompt "a calm morning turning into a storm"
    """
    settings = settings_from(ctx)
    listed = [_shot(settings, text) for text in (shots or "").split(",") if text.strip()]
    clip = _rhythm_clip(settings, rhythm, collection) if rhythm else None
    chosen = strategy or ("rhythm" if clip else "prompt" if prompt else "chronological")
    pool = candidates(settings, query, collection, listed)
    edit = build_sequence(
        settings, pool, chosen, length, max_shot=max_shot, min_shot=min_shot, rhythm=clip,
        cut_on=cut_on, prompt=prompt,
    )  # fmt: skip
    deliver(edit, output, as_json)


def _shot(settings: Settings, text: str) -> tuple[str, int]:
    ref = parse_shot(text.strip())
    return resolve_video(settings, ref.video)[0], ref.shot


def _rhythm_clip(settings: Settings, text: str, collection: str | None) -> RhythmClip:
    """A sound file of any kind, or a stretch of one of the collection's files."""
    name, start, end = parse_rhythm(text)
    if Path(name).is_file():
        return RhythmClip(Path(name), start, end)
    video_id, path = resolve_video(settings, name)
    member = collection or next(iter(video_collections(settings, video_id)), None)
    return RhythmClip(Path(path), start, end, video_id, member)
