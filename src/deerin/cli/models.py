"""`deerin models`: which model each capability uses, and whether its weights check out."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from deerin.cli.common import out, settings_from
from deerin.models.bundled import verify as verify_bundled
from deerin.models.resolver import describe

models_app = typer.Typer(
    help="Which model each capability uses, where its weights are, and whether it is offline.",
    invoke_without_command=True,
)


@models_app.callback()
def models_list(ctx: typer.Context) -> None:
    """List each capability's configured model."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_from(ctx)
    choices = describe(settings)
    table = Table(
        title="Models ([models] in deerin.toml, or `deerin ingest --model CAPABILITY=...`)"
    )
    for column in ("capability", "model", "kind", "offline", "licence"):
        table.add_column(column, no_wrap=column != "licence")
    for item in choices:
        offline = "[green]yes[/]" if item.offline else "[red]no[/]"
        kind = item.kind if item.kind == item.backend else f"{item.kind}, {item.backend}"
        table.add_row(item.capability, escape(item.name), kind, offline, item.licence)
    out.print(table)
    out.print("Weights:")  # paths are long: one per line, whole, for copying
    for item in choices:
        out.print(f"  {item.capability:<15} {escape(item.location)}")
    for item in choices:
        if item.problem:
            out.print(f"[red]✗[/] {item.capability}: {escape(item.problem)}")


@models_app.command("verify")
def models_verify() -> None:
    """Check every bundled weight file against its sha256; exit 1 if any is wrong."""
    bad = 0
    for model, file, problem in verify_bundled():
        mark = "[red]✗[/]" if problem else "[green]✓[/]"
        detail = escape(problem or file.sha256[:16])
        out.print(f"{mark} {model.name:<20} {file.relative}  {detail}")
        bad += problem is not None
    if bad:
        raise typer.Exit(1)
