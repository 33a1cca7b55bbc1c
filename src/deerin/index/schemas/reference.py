"""The artefact reference (``docs/artefacts.md``), written from the schemas themselves.

``python -m deerin.index.schemas.reference > docs/artefacts.md`` regenerates it; a test
fails when the file and the code disagree, so the documentation cannot go stale.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from deerin.index.artefacts import Artefact, Record
from deerin.index.schemas import ARTEFACTS, PEOPLE_WRITE

INTRO = """# Artefacts

Every file a stage or a collection step writes, field by field. This page is generated
from the schemas in `src/deerin/index/schemas/` (`python -m deerin.index.schemas.reference
> docs/artefacts.md`); a test keeps the two equal.

Read them in code with the one typed reader, never as raw JSON:

```python
from deerin.index import artefacts
from deerin.index.schemas import Transcript
from deerin.index.store import VideoFolder

transcript = artefacts.read(VideoFolder.for_video(data_dir, video_id), Transcript)
words = transcript.words()
```

Each file carries `schema_version`. A file written before versions were recorded (or by
an older version) is upgraded as it is read; one that cannot be, or that a newer DEERIn
wrote, is an error naming the `--redo` that rewrites it. Times are seconds from the
first frame of the video (of the sound, for a recording without a picture).
"""


def reference() -> str:
    """The whole page."""
    parts = [INTRO]
    for schema in (*ARTEFACTS, *PEOPLE_WRITE):
        parts.append(_artefact(schema))
    return "\n".join(parts).rstrip() + "\n"


def _artefact(schema: type[Artefact]) -> str:
    where = (
        "collections/<name>/"
        if schema.stage in ("people", "duplicates", "map", "graph")
        else "videos/…/"
    )
    written = f"Written by `{schema.stage}` in `{where}`."
    if schema in PEOPLE_WRITE:
        written = "Written by people (the video page), never by a stage, in `corrections/`."
    lines = [
        f"## `{schema.file}` ({schema.__name__}, schema version {schema.version})",
        "",
        f"{written} {_doc(schema)}",
    ]
    if schema.vectors:
        lines.append(f"Beside it: `{schema.vectors}` (float32, one row per entry).")
    lines.append("")
    for model in _models(schema):
        if model is not schema:
            lines += [f"### {model.__name__}", "", _doc(model), ""]
        lines += _table(model)
        lines.append("")
    return "\n".join(lines)


def _models(schema: type[BaseModel]) -> list[type[BaseModel]]:
    """The schema and every record nested in it, each once, in reading order."""
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for field in model.model_fields.values():
            for inner in _records(field.annotation):
                visit(inner)

    visit(schema)
    return found


def _records(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _records(arg)]


def _table(model: type[BaseModel]) -> list[str]:
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, field in model.model_fields.items():
        shown = field.alias or name
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{shown}` | {_type(field.annotation)} | {meaning} |")
    for name, computed in model.model_computed_fields.items():
        meaning = " ".join((computed.description or "").split()) or "Computed from the above."
        rows.append(f"| `{name}` | {_type(computed.return_type)} | {meaning} (derived) |")
    return rows


def _type(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{value!r}`" for value in get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(arg) for arg in get_args(annotation))
    if origin in (list, tuple):
        return f"list of {_type(get_args(annotation)[0])}"
    if origin is dict:
        return "object"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return getattr(annotation, "__name__", str(annotation))


def _doc(model: type[BaseModel]) -> str:
    return " ".join((inspect.getdoc(model) or "").split())


if __name__ == "__main__":
    print(reference(), end="")
