"""Entities and places on hand-annotated paragraphs about archive films.

The paragraphs and their gold entities are in bench/labels/entities.json (written for
this benchmark; how is said there). Each paragraph goes through the entities stage's own
code as one transcript segment of one video: the bundled spaCy model finds entities,
places are resolved with the paragraph as context. A predicted entity matches a gold one
of the same group (people, organisations, places) when their characters overlap.

Places are scored twice: end to end (a gold place found and resolved right), and on the
gold mentions themselves, which compares resolvers without the tagger's misses. Right
means within 25 km of the truth for a town, the same GeoNames id for a country or state.
The baseline, in the same run, takes the most populous place of the name and ignores
qualifiers and context.

    .venv/bin/python bench/entity_accuracy.py      # about 15 seconds on 2 cores

Prints Markdown and writes bench/results/entity_accuracy.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from deerin.enrich.entities.ner import PLACE_LABELS, Mention, mentions, pipeline
from deerin.enrich.entities.places import Resolution, Resolver, distance_km, gazetteer
from deerin.enrich.entities.stage import entity_record, qualified
from deerin.enrich.entities.texts import TextItem
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "bench" / "labels" / "entities.json"
RESULTS = ROOT / "bench" / "results"
GROUPS = {"PERSON": "people", "ORG": "organisations"} | dict.fromkeys(PLACE_LABELS, "places")
NEAR_KM = 25.0


def gold_spans(paragraph: dict) -> list[dict]:
    """Gold entities with their character offsets, found in order of appearance."""
    spans, cursor = [], 0
    for entity in paragraph["entities"]:
        first = paragraph["text"].index(entity["text"], cursor)
        cursor = first + len(entity["text"])
        spans.append({**entity, "first": first, "last": cursor})
    return spans


def right(place: dict | None, gold: dict) -> bool:
    """Whether a resolved place is the gold one (near enough for a town, same id else)."""
    if place is None:
        return False
    if "geonameid" in gold:
        return place["geonameid"] == gold["geonameid"]
    return distance_km(place["lat"], place["lon"], gold["lat"], gold["lon"]) <= NEAR_KM


def overlapping(first: int, last: int, group: str, spans: list[dict]) -> dict | None:
    return next(
        (s for s in spans if s["group"] == group and s["first"] < last and s["last"] > first),
        None,
    )


def score(paragraphs: list[dict], nlp, places) -> dict:
    tallies = {g: {"tp": 0, "fp": 0, "fn": 0} for g in ("people", "organisations", "places")}
    end_to_end = {"ours": 0, "baseline": 0}
    on_gold = {"ours": 0, "baseline": 0}
    resolvable = 0
    rows = []
    for paragraph, doc in zip(paragraphs, nlp.pipe([p["text"] for p in paragraphs]), strict=True):
        text = paragraph["text"]
        spans = gold_spans(paragraph)
        item = TextItem("transcript", 0.0, 1.0, text)
        found = [f for f in qualified(item, mentions(doc)) if f.mention.label in GROUPS]
        resolver = Resolver(
            places, (f.mention.text for f in found if f.mention.label in PLACE_LABELS)
        )
        matched: set[int] = set()
        for f in found:
            group = GROUPS[f.mention.label]
            gold = overlapping(f.mention.first, f.mention.last, group, spans)
            if gold is None or id(gold) in matched:
                tallies[group]["fp"] += 1
                rows.append(
                    {
                        "paragraph": paragraphs.index(paragraph),
                        "predicted": f.mention.text,
                        "label": f.mention.label,
                        "gold": None,
                    }
                )
                continue
            matched.add(id(gold))
            tallies[group]["tp"] += 1
            if group == "places" and gold.get("resolve", True):
                ours = entity_record(f, resolver)["place"]
                largest = _as_dict(resolver.largest(f.mention.text.partition(",")[0]))
                end_to_end["ours"] += right(ours, gold)
                end_to_end["baseline"] += right(largest, gold)
                rows.append({"gold": gold["text"], "ours": ours, "baseline": largest})
        for gold in spans:
            if id(gold) not in matched:
                tallies[gold["group"]]["fn"] += 1
        gold_places = [s for s in spans if s["group"] == "places"]
        gold_resolver = Resolver(places, (s["text"] for s in gold_places))
        gold_found = qualified(
            item, [Mention(s["text"], "GPE", s["first"], s["last"]) for s in gold_places]
        )
        for gold, f in zip(gold_places, gold_found, strict=True):
            if not gold.get("resolve", True):
                continue
            resolvable += 1
            on_gold["ours"] += right(entity_record(f, gold_resolver)["place"], gold)
            on_gold["baseline"] += right(_as_dict(gold_resolver.largest(gold["text"])), gold)
    return {
        "groups": {g: _rates(t) for g, t in tallies.items()},
        "resolvable_places": resolvable,
        "end_to_end_right": {k: v / resolvable for k, v in end_to_end.items()},
        "gold_mentions_right": {k: v / resolvable for k, v in on_gold.items()},
        "rows": rows,
    }


def _as_dict(resolution: Resolution | None) -> dict | None:
    return resolution.as_dict() if resolution else None


def _rates(tally: dict) -> dict:
    tp, fp, fn = tally["tp"], tally["fp"], tally["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {**tally, "precision": precision, "recall": recall}


def markdown(result: dict, paragraphs: int) -> str:
    lines = [
        f"Entities on {paragraphs} hand-annotated paragraphs about archive films "
        "(bench/labels/entities.json), bundled en_core_web_sm, overlap match:",
        "",
        "| group | gold | found right | wrong | precision | recall |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for group, r in result["groups"].items():
        lines.append(
            f"| {group} | {r['tp'] + r['fn']} | {r['tp']} | {r['fp']} | "
            f"{r['precision']:.2f} | {r['recall']:.2f} |"
        )
    n = result["resolvable_places"]
    e2e, gold = result["end_to_end_right"], result["gold_mentions_right"]
    lines += [
        "",
        f"Places resolved right (town within {NEAR_KM:.0f} km, country/state same GeoNames id), "
        f"of {n} gold places GeoNames holds:",
        "",
        "| resolver | on gold mentions | end to end (found and right) |",
        "| --- | --- | --- |",
        f"| DEERIn: qualifier, then video context, then population | {gold['ours']:.0%} | "
        f"{e2e['ours']:.0%} |",
        f"| baseline: most populous place of the name | {gold['baseline']:.0%} | "
        f"{e2e['baseline']:.0%} |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    paragraphs = json.loads(LABELS.read_text())["paragraphs"]
    settings = Settings()
    nlp = pipeline(settings)
    places = gazetteer(settings.data_dir / "cache" / "geonames")
    result = score(paragraphs, nlp, places)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "entity_accuracy.json").write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result, len(paragraphs)))


if __name__ == "__main__":
    main()
