"""Model backends: the code that runs a capability's model, one interface for all of them.

A backend says which capability it serves and which kind of model it runs (the
``backend`` of a :class:`~deerin.models.resolver.ModelChoice`: torch, transformers,
onnxruntime, llama.cpp, openai-compatible, …), and how to open one. Plugins register
backends with the ``model_backends`` hook (DEERIn's own do too), so a new way of running
a capability is added in that one place; :func:`open_model` resolves the capability's
setting and hands the choice to the backend that runs it (FiftyOne's model zoo works
the same way: one interface, swappable back ends).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from deerin import plugins
from deerin.models.resolver import ModelChoice, resolve
from deerin.models.weights import ModelError
from deerin.settings import Settings


@dataclass(frozen=True)
class Backend:
    """Opens a capability's model of one kind: ``open(choice, settings)``."""

    capability: str
    kind: str  # matches ModelChoice.backend
    open: Callable[[ModelChoice, Settings], Any]


@cache
def backends() -> dict[tuple[str, str], Backend]:
    """Every registered backend by (capability, kind); a later plugin's wins."""
    return {(b.capability, b.kind): b for b in plugins.collect("model_backends")}


def backend_for(chosen: ModelChoice) -> Backend:
    """The backend that runs ``chosen``; ModelError when no plugin registered one."""
    found = backends().get((chosen.capability, chosen.backend))
    if found is None:
        kinds = sorted(kind for capability, kind in backends() if capability == chosen.capability)
        raise ModelError(
            f"no backend runs {chosen.backend} models for {chosen.capability} ({chosen.name!r})",
            hint=f"backends for {chosen.capability}: {', '.join(kinds) or 'none'}",
        )
    return found


def open_model(capability: str, settings: Settings) -> Any:
    """The model ``capability`` is set to, opened by its backend (ModelError if unusable)."""
    chosen = resolve(capability, settings)
    return backend_for(chosen).open(chosen, settings)
