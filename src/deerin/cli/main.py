"""The `deerin` command: a typed CLI over the pipeline, the store and the exports.

Its commands are registered by plugins (``commands`` hook; DEERIn's own in
``cli/plugin.py``). Every mistake a user can make (a typo in a stage, a setting, a
path, a model) ends as one line saying what is wrong and what to do, with exit code 2,
never a traceback.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

from deerin import __version__, plugins
from deerin.cli.common import err, out
from deerin.errors import DeerinError

USAGE = 2  # the exit code of every user mistake


class OneLineErrors(TyperGroup):
    """Commands whose DeerinError (a user's mistake, a damaged file) ends as one line and
    exit code 2, however they are invoked (the `deerin` program, or a test's runner)."""

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except DeerinError as exc:
            raise typer.Exit(_fail(exc.message)) from None


app = typer.Typer(
    cls=OneLineErrors,
    help="DEERIn: enrich, explore, retrieve and interact with moving-image archives.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Store folder \\[env DEERIN_DATA_DIR].")
    ] = None,
    log_json: Annotated[
        bool | None, typer.Option("--log-json", help="JSON-lines logs on stderr.")
    ] = None,
) -> None:
    ctx.obj = {"data_dir": data_dir, "run.log_json": log_json}


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


@cache
def application() -> typer.Typer:
    """The app with every plugin's commands, in the order they were registered (loading the
    plugins here, not at import, lets a broken one be reported as one line)."""
    for command in plugins.collect("commands"):
        if isinstance(command.target, typer.Typer):
            app.add_typer(command.target, name=command.name)
        else:
            app.command(command.name)(command.target)
    return app


def main() -> None:
    """Entry point: a user's mistake becomes one clear line, not a traceback."""
    args = sys.argv[1:] or ["--help"]
    try:
        code = application()(args, prog_name="deerin", standalone_mode=False)
    except DeerinError as exc:  # a plugin that cannot be loaded
        sys.exit(_fail(exc.message))
    except typer.Abort:
        err.print("Interrupted.")
        sys.exit(130)
    except TyperException as exc:  # a usage mistake: an unknown option, a missing argument
        sys.exit(_fail(f"{_message(exc)} — see `{_command(exc)} --help`"))
    sys.exit(code if isinstance(code, int) else 0)


def _message(exc: TyperException) -> str:
    format_message = getattr(exc, "format_message", None)
    return format_message() if callable(format_message) else str(exc)


def _command(exc: TyperException) -> str:
    """The command a usage mistake was made in, as typed (``deerin people name``)."""
    ctx = getattr(exc, "ctx", None)
    return ctx.command_path if ctx is not None else "deerin"


def _fail(message: str) -> int:
    """Print ``message`` as one line on stderr; the exit code to end with."""
    err.print(f"[red]error:[/] {escape(' '.join(message.split()))}", soft_wrap=True)
    return USAGE


if __name__ == "__main__":  # `python -m deerin.cli.main`, as the web app's tests start it
    main()
