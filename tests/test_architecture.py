"""The house rules, checked: no import cycles, dependencies point one way, one place for
weights, one reader of artefacts, every artefact's stage declares it, docs match code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from deerin.cli.config import markdown
from deerin.index.schemas import ARTEFACTS
from deerin.index.schemas.reference import reference
from deerin.pipeline.graph import stage_graph

PACKAGE = ROOT / "src" / "deerin"
MODULES = ("enrich", "explore", "retrieve", "interact")  # the four user-facing modules
TOP = ("cli", "web")  # commands and pages
# Plumbing, lowest first: each may import only what is before it (and itself).
PLUMBING = ("errors", "settings", "plugins", "index", "media", "models", "export", "pipeline")
# What each piece of plumbing may import: lower plumbing, never a module or a page.
ALLOWED = {
    "errors": set(),
    "settings": {"errors"},
    "plugins": {"errors", "settings", "index", "media"},
    "index": {"errors", "settings"},
    "media": {"errors", "settings", "index"},
    "models": {"errors", "settings", "plugins", "index"},
    "export": {"errors", "settings", "plugins", "index", "media"},
    "pipeline": {"errors", "settings", "plugins", "index", "media", "models"},
}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The package's modules that ``name`` imports, at any depth of the file (function-level
    and TYPE_CHECKING imports too: a cycle there is still a cycle in the design)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports(name, path, known)) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> str:
    """The top-level piece a module belongs to: ``deerin.enrich.faces.stage`` -> enrich."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_module_imports_another_that_imports_it_back() -> None:
    assert cycles(graph()) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


@pytest.mark.parametrize("piece", PLUMBING)
def test_plumbing_imports_only_plumbing_below_it(piece: str) -> None:
    wrong = {
        f"{module} -> {target}"
        for module, targets in graph().items()
        if layer(module) == piece
        for target in targets
        if layer(target) not in ALLOWED[piece] | {piece, ""}
    }
    assert wrong == set(), "plumbing reaches up (hand it what it needs instead)"


def test_modules_never_import_commands_pages_or_the_orchestrator() -> None:
    wrong = {
        f"{module} -> {target}"
        for module, targets in graph().items()
        if layer(module) in MODULES
        for target in targets
        if layer(target) in (*TOP, "pipeline")
    }
    assert wrong == set()


def test_the_stage_interface_imports_nothing_from_the_orchestrator() -> None:
    edges = graph()
    for interface in ("deerin.plugins.stage", "deerin.plugins.step"):
        assert not [t for t in edges[interface] if layer(t) == "pipeline"], interface


def test_only_the_models_package_looks_for_weights() -> None:
    """Bundled files, hub snapshots and their checksums are the resolver's business."""
    looking = ("BUNDLED", "bundled_model", "hub_cache", "try_to_load_from_cache", "BundledFile")
    found = set()
    for name, path in modules().items():
        if layer(name) == "models":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        found |= {f"{name}: {word}" for word in looking if word in used}
    assert found == set()


def test_artefacts_are_read_only_through_the_typed_reader() -> None:
    """Raw JSON reads of artefacts stay inside the store; everyone else reads typed."""
    allowed = {"deerin.index.store", "deerin.index.artefacts", "deerin.models.answers"}
    found = set()
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
        }
        if "read_json" in calls and name not in allowed:
            found.add(name)
    assert found == set()


def test_every_artefact_is_produced_by_the_stage_it_names() -> None:
    graph_ = stage_graph()
    stages = {stage.name: stage for stage in graph_.stages}
    steps = set(graph_.step_names())
    for schema in ARTEFACTS:
        if schema.stage in steps:
            continue
        assert schema.stage in stages, schema
        produces = stages[schema.stage].produces
        assert schema.file in produces, (schema.stage, schema.file)
        if schema.vectors:
            assert schema.vectors in produces, (schema.stage, schema.vectors)


def test_the_artefact_reference_in_docs_is_generated_from_the_schemas() -> None:
    written = (ROOT / "docs" / "artefacts.md").read_text(encoding="utf-8")
    assert written == reference(), (
        "run: python -m deerin.index.schemas.reference > docs/artefacts.md"
    )


def test_the_settings_reference_in_docs_is_generated_from_the_settings() -> None:
    written = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert written == markdown(), (
        "settings changed: run deerin config --reference > docs/settings.md"
    )
