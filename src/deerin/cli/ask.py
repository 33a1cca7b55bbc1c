"""`deerin ask`: a question answered from the collection, every sentence cited to the
moment of the film that says or shows it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from deerin.cli.common import err, out, settings_from
from deerin.export.events import clock
from deerin.retrieve.answers import Answer
from deerin.retrieve.ask import ask


def ask_cmd(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help='The question, e.g. "who opened the shipyard?"')],
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Ask one collection [default: all].")
    ] = None,
    year: Annotated[str | None, typer.Option("--year", help="1961, or 1950..1969.")] = None,
    fields: Annotated[
        str,
        typer.Option("--where", help="More search filters, e.g. 'person:\"Ann Lee\" in:speech'."),
    ] = "",
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="extractive (quote the passages), model (the language model writes) "
            "[default: ask.mode].",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question from the collection, citing the moments that say so."""
    settings = settings_from(ctx)
    if mode is not None and mode not in ("extractive", "model", "auto"):
        raise typer.BadParameter("choose extractive, model or auto", param_hint="--mode")
    where = f"{fields} year:{year}" if year else fields
    answer = ask(settings, question, collection, mode, fields=where)
    if as_json:
        out.print_json(answer.model_dump_json())
        return
    show(answer)


def show(answer: Answer) -> None:
    """The answer, then its sources numbered, then its notes."""
    if answer.mode in ("extractive", "graph"):  # quotes and counts read best one per line
        for sentence in (s for s in answer.sentences if s.kept):
            out.print(escape(f"{sentence.text} {''.join(f'[{n}]' for n in sentence.citations)}"))
    else:
        out.print(escape(answer.answer))
    if answer.citations:
        out.print()
    for c in answer.citations:
        said = " ".join(c.text.split())
        said = said if len(said) <= 160 else said[:159] + "…"
        out.print(f"[{c.n}] {escape(c.file)} {clock(c.start, '.')[:11]} ({escape(c.kind)}) "
                  f"{escape(said)}")  # fmt: skip
    for sentence in answer.sentences:
        if not sentence.kept:
            err.print(f"[dim]left out (not in its passages): {escape(sentence.text)}[/]")
    for note in answer.notes:
        err.print(f"[dim]{escape(note)}[/]")
