"""The built-in `deerin` commands, registered like any plugin's (the ``commands`` hook).

Their order here is their order in `deerin --help`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deerin.cli.common import Command


def commands() -> list[Command]:
    from deerin.cli.ask import ask_cmd
    from deerin.cli.common import Command
    from deerin.cli.config import config
    from deerin.cli.demo import demo
    from deerin.cli.export import export_cmd
    from deerin.cli.graph import graph_cmd
    from deerin.cli.iiif import iiif_cmd
    from deerin.cli.ingest import ingest_cmd
    from deerin.cli.map import map_app
    from deerin.cli.models import models_app
    from deerin.cli.people import people_app
    from deerin.cli.places import places_cmd
    from deerin.cli.search import index_cmd, search_cmd
    from deerin.cli.sequence import sequence_cmd
    from deerin.cli.serve import serve_cmd
    from deerin.cli.stats import stats_cmd
    from deerin.cli.status import status
    from deerin.cli.supercut import supercut_cmd

    return [
        Command("ingest", ingest_cmd),
        Command("demo", demo),
        Command("status", status),
        Command("search", search_cmd),
        Command("ask", ask_cmd),
        Command("index", index_cmd),
        Command("serve", serve_cmd),
        Command("export", export_cmd),
        Command("iiif", iiif_cmd),
        Command("stats", stats_cmd),
        Command("map", map_app),
        Command("graph", graph_cmd),
        Command("places", places_cmd),
        Command("supercut", supercut_cmd),
        Command("sequence", sequence_cmd),
        Command("people", people_app),
        Command("models", models_app),
        Command("config", config),
    ]
