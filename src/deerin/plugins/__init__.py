"""Plugins: how stages, collection steps, exporters, model backends and commands join DEERIn.

A plugin is a module with hook functions, each returning the things of one kind it adds:

``stages()``
    per-video work, :class:`deerin.plugins.stage.Stage` subclasses;
``collection_steps()``
    collection-wide work, :class:`deerin.plugins.step.CollectionStep` subclasses;
``exporters()``
    :class:`deerin.export.layers.Exporter` objects (a layer and its file formats);
``model_backends()``
    :class:`deerin.models.backends.Backend` objects (a way of running a capability's model);
``commands()``
    Typer commands and command groups of `deerin`.

DEERIn's own parts register through the same hooks as anyone else's, as Datasette's
built-ins do: :data:`BUILTIN` names their modules, and an installed package adds its
own module under the ``deerin.plugins`` entry-point group. Hook functions import what
they register when called, so loading every plugin costs a few module imports, and a
worker process that only runs stages never imports the web app or the commands.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from deerin.errors import DeerinError

BUILTIN = (
    "deerin.enrich.plugin",
    "deerin.retrieve.plugin",
    "deerin.explore.plugin",
    "deerin.export.plugin",
    "deerin.models.plugin",
    "deerin.cli.plugin",
)
HOOKS = ("stages", "collection_steps", "exporters", "model_backends", "commands")
ENTRY_POINTS = "deerin.plugins"


class PluginError(DeerinError):
    """A plugin cannot be loaded, or what it registers does not fit with the rest."""


@cache
def modules() -> tuple[ModuleType, ...]:
    """DEERIn's own plugin modules, then every installed one, each loaded once."""
    loaded = [importlib.import_module(name) for name in BUILTIN]
    for entry in sorted(entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
        try:
            loaded.append(entry.load())
        except Exception as exc:  # a broken third-party plugin: say which, never a traceback
            raise PluginError(
                f"the plugin {entry.name!r} ({entry.value}) cannot be loaded: {exc}",
                hint=f"reinstall or uninstall the package that provides {entry.value}",
            ) from exc
    return tuple(loaded)


def collect(hook: str) -> list[Any]:
    """Everything every plugin registers under ``hook``, built-ins first."""
    if hook not in HOOKS:
        raise ValueError(f"no hook {hook!r}; hooks are {', '.join(HOOKS)}")
    return [item for module in modules() for item in getattr(module, hook, list)()]
