"""Asking the archive: does retrieval find the moment that answers, do the answers cite
it, does the citation check catch invented sentences, how long a question takes, and
what the graph costs; peers measured in the same run.

Ingests ../shared/media/speech and one Popeye excerpt with bitmap subtitles
(popeye/mkv_pgs_Title_T00-1.mkv, read by OCR) as the collection ``shared``, with the
default models. QUESTIONS are written over it: spoken content (the manifesto, JFK, the
sonnets), a place (London), subtitles (Popeye), a person named with another (graph), and
two questions the collection cannot answer. Each has its source: a file and a phrase,
with the phrase's time from a reference the pipeline did not make (the manifesto's vosk
word timings, the Popeye .srt written by hand), or (sonnets, JFK) the passage holding it.

* **Retrieval recall@5**: the source is among the 5 passages `ask` keeps. Peers, the
  same index and k: BM25 over the question's words alone, and the embedding of the
  question alone (a plain vector RAG).
* **Cited within 5 s**: answers whose every sentence cites a passage within 5 s of the
  source (or holding its phrase): extractive, and written by the bundled SmolLM2.
* **Planted sentences caught**: for each answered question, the true sentence (the
  passage's own) and four false ones citing the same passage: a number changed, a name
  changed, a sentence from another question's passage, a negation. Peer: the common
  embedding check (cosine of sentence and passage ≥ 0.5).
* **Time per question**: cold (a fresh `deerin ask` process, what a user waits for) and
  warm (the same process again, as the web app answers), extractive and with SmolLM2.
* **Graph**: build time, size, per 1,000 shots; peer: SmolLM2 reading every passage for
  entities and relations, as GraphRAG has an LLM do (timed on 20 passages, scaled).

    .venv/bin/python bench/ask.py                  # about 10 minutes on 2 CPU cores
    .venv/bin/python bench/ask.py --store DIR      # keep (or reuse) the ingest

Prints Markdown tables and writes bench/results/ask.json.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deerin.index.catalogue import collection_videos
from deerin.models.answers import AnswerCache
from deerin.models.backends import open_model
from deerin.models.llm import open_language_model
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.retrieve.answers import Answer, Citation
from deerin.retrieve.ask import ask, best_sentence, check, cite_passages, question_query, relevant
from deerin.retrieve.citations import Claim, content_stems
from deerin.retrieve.graph import RELATIONS_SYSTEM, build_graph
from deerin.retrieve.query import Query
from deerin.retrieve.search import Searcher
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "media"
COLLECTION = "shared"
FILES = ("speech/manifesto.mp4", "speech/manifesto.srt", "speech/jfk.flac",
         "speech/sonnet_1.mp3", "speech/sonnet_2.mp3", "speech/sonnet_3.mp3",
         "speech/spoken_example.mp4", "popeye/mkv_pgs_Title_T00-1.mkv")  # fmt: skip
NEAR = 5.0  # seconds: a citation this close to the source moment points at it
PEER_PASSAGES = 20  # passages the LLM-extraction peer reads (then scaled to all)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # speech, place, subtitles, person, none
    file: str | None  # None: the collection cannot answer it
    phrase: str = ""
    time: float | None = None  # the phrase's time in a reference; None: the passage holds it


def vosk_time(phrase: str) -> float:
    """When the manifesto's vosk timings (manifesto.json) say ``phrase`` starts."""
    words = [w for seg in json.loads((SHARED / "speech/manifesto.json").read_text())
             for w in seg["words"]]  # fmt: skip
    wanted = phrase.lower().split()
    for i in range(len(words) - len(wanted) + 1):
        if [w["word"] for w in words[i : i + len(wanted)]] == wanted:
            return float(words[i]["start"])
    raise KeyError(phrase)


def questions() -> list[Question]:
    m = "manifesto.mp4"
    popeye = "mkv_pgs_Title_T00-1.mkv"
    return [
        Question("What is haunting Europe?", "speech", m, "haunting europe",
                 vosk_time("haunting europe")),
        Question("Which powers of old Europe entered into an alliance against the spectre?",
                 "speech", m, "entered into", vosk_time("entered into")),
        Question("In which languages is the manifesto to be published?", "speech", m,
                 "languages", vosk_time("languages")),
        Question("Where can the text version of this audiobook be found?", "speech", m,
                 "text version", vosk_time("text version")),
        Question("Where have communists of various nationalities assembled?", "place", m,
                 "london", vosk_time("london")),
        Question("What should Americans not ask?", "speech", "jfk.flac", "ask not"),
        Question("What do we desire from fairest creatures?", "speech", "sonnet_1.mp3",
                 "fairest creatures"),
        Question("What happens when forty winters besiege thy brow?", "speech",
                 "sonnet_2.mp3", "forty winters"),
        Question("What should you tell the face you view in your glass?", "speech",
                 "sonnet_3.mp3", "glass"),
        Question("What did someone want to take another look at?", "subtitles", popeye,
                 "another look", 54.1),
        Question("What was said about the ship they had once?", "subtitles", popeye,
                 "nice ship", 50.0),
        Question("Who is named with Karl Marx?", "person", m, "karl marx", vosk_time("karl marx")),
        Question("What is the recipe for bouillabaisse?", "none", None),
        Question("Who won the football world cup final?", "none", None),
    ]  # fmt: skip


def settings_for(store: Path) -> Settings:
    return Settings.from_values({"data_dir": store, "run.workers": 2})


def ingested(store: Path) -> Settings:
    """The collection ingested into ``store``; a reused store is brought up to date the
    way a user's rerun is (finished work skipped), so no figure comes from stale code."""
    settings = settings_for(store)
    media = store.parent / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        link = media / Path(name).name
        if not link.exists():
            link.symlink_to(SHARED / name)
    started = time.perf_counter()
    report = ingest([media], COLLECTION, settings, JsonReporter(io.StringIO()))
    assert report.ok, (report.failed, report.steps)
    print(f"ingested in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return settings


def points_at(c: Citation, q: Question) -> bool:
    """The citation is the source: same file, and near the phrase's time (or holding it)."""
    if c.file != q.file:
        return False
    if q.time is not None:
        return c.start - NEAR <= q.time <= c.end + NEAR
    return content_stems(q.phrase) <= content_stems(c.text)


def passages_of(searcher: Searcher, query: Query, k: int) -> list[Citation]:

    return cite_passages(searcher, relevant(searcher, query, k))


def peer_passages(searcher: Searcher, query: Query, modes: tuple[str, ...], k: int) -> list[Any]:
    """The top k passages of one kind of search alone (no relevance floor, no re-ranking)."""
    peer = Query(terms=query.terms, filters=query.filters, any_word=True, modes=modes,
                 text=query.text)  # fmt: skip
    result = searcher.search(peer, limit=40, merge=False)
    found = []
    for hit in result.hits:
        match = next((m for m in hit.matches if m.kind not in ("tags", "face", "shot")), None)
        if match is not None:
            found.append(_Cited(hit.file, match.start, match.end, match.text))
        if len(found) == k:
            break
    return found


@dataclass(frozen=True)
class _Cited:
    file: str
    start: float
    end: float
    text: str


def cites_source(answer: Answer, q: Question, first: bool = False) -> bool:
    """A kept sentence (the first, with ``first``) cites the source moment."""
    kept = [s for s in answer.sentences if s.kept][: 1 if first else None]
    by_n = {c.n: c for c in answer.citations}
    return any(points_at(by_n[n], q) for s in kept for n in s.citations if n in by_n)


def supported(answer: Answer) -> list[bool]:
    """For each kept sentence: does a passage it cites hold it (the check's own test)?"""
    return [s.support >= 0.5 for s in answer.sentences if s.kept]


# -- planted sentences -------------------------------------------------------------------------
def plants(true: str, other: str) -> dict[str, str]:
    """False versions of ``true``: a number changed, a name changed, another passage's
    sentence, a negation."""
    out: dict[str, str] = {}
    number = re.search(r"\d+", true)
    if number:
        out["number"] = true.replace(number.group(), str(int(number.group()) + 13), 1)
    else:  # a date the passage never gives
        out["number"] = true.rstrip(".") + " in 1931."
    words = true.split()
    named = [i for i, w in enumerate(words) if i and w[:1].isupper()]
    swap = named[0] if named else max(range(len(words)), key=lambda i: len(words[i]))
    out["name"] = " ".join([*words[:swap], "Valparaiso", *words[swap + 1 :]])
    out["other passage"] = other
    out["negation"] = re.sub(r"\b(is|are|was|were|have|has|will|shall)\b", r"\1 not", true, count=1)
    if out["negation"] == true:
        out["negation"] = "It is not true that " + true[0].lower() + true[1:]
    return out


def embedding_check(settings: Settings, sentence: str, passage: str) -> bool:
    embedder = open_model("text_embeddings", settings)
    a, b = np.asarray(embedder.embed([sentence, passage]), dtype=np.float32)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))) >= 0.5


# -- timing ------------------------------------------------------------------------------------
def forget_answers(store: Path) -> None:
    """No language-model answer comes from the cache: every timed one is generated."""
    shutil.rmtree(store / "cache" / "llm", ignore_errors=True)


def cold(store: Path, question: str, mode: str) -> float:
    forget_answers(store)
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/deerin"), "--data-dir", str(store), "ask", question,
                    "--mode", mode], check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - started


def warm(settings: Settings, searcher: Searcher, qs: list[Question], mode: str) -> float:
    ask(settings, qs[0].text, mode=mode, searcher=searcher)  # loaded once, as a server has
    times = []
    for q in qs:
        forget_answers(settings.data_dir)
        started = time.perf_counter()
        ask(settings, q.text, mode=mode, searcher=searcher)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def graph_figures(settings: Settings) -> dict[str, Any]:
    videos = collection_videos(settings, COLLECTION)
    started = time.perf_counter()
    graph = build_graph(settings, COLLECTION, videos)
    seconds = time.perf_counter() - started
    searcher = Searcher(settings, [COLLECTION])
    passages = [row for _, row in searcher.passages(Query(text="*"))
                if row["source"] not in ("metadata",)]  # fmt: skip
    model = open_language_model(settings)
    sample = passages[:PEER_PASSAGES]
    began = time.perf_counter()
    for row in sample:
        prompt = f"List the people, places and organisations in this passage and how they " \
                 f"are related.\nPassage: {row['text'][:500]}"  # fmt: skip
        model.cache = AnswerCache(Path(tempfile.mkdtemp()))  # no cached answers for the peer
        model.generate(RELATIONS_SYSTEM, prompt, 200)
    per_passage = (time.perf_counter() - began) / max(len(sample), 1)
    return {
        "seconds": round(seconds, 2),
        "shots": graph.shots,
        "videos": graph.videos,
        "passages": len(passages),
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "communities": len(graph.communities),
        "per_1000_shots_s": round(seconds / max(graph.shots, 1) * 1000, 2),
        "peer_llm_per_passage_s": round(per_passage, 2),
        "peer_llm_all_passages_s": round(per_passage * len(passages), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="keep (or reuse) the ingest here")
    args = parser.parse_args()
    store = args.store or Path(tempfile.mkdtemp(prefix="deerin-ask-")) / "store"
    settings = ingested(store)
    searcher = Searcher(settings, [COLLECTION])
    qs = questions()
    answerable = [q for q in qs if q.file]
    rows: list[dict[str, Any]] = []
    for q in qs:
        query = question_query(q.text, "")
        ours = passages_of(searcher, query, 5) if query.terms else []
        words = peer_passages(searcher, query, ("words",), 5) if query.terms else []
        meaning = peer_passages(searcher, query, ("meaning",), 5) if query.terms else []
        extract = ask(settings, q.text, mode="extractive", searcher=searcher)
        model = ask(settings, q.text, mode="model", searcher=searcher)
        rows.append({
            "question": q.text, "kind": q.kind, "file": q.file,
            "recall5": any(points_at(c, q) for c in ours) if q.file else None,
            "recall5_bm25": any(points_at(c, q) for c in words) if q.file else None,  # type: ignore[arg-type]
            "recall5_vector": any(points_at(c, q) for c in meaning) if q.file else None,  # type: ignore[arg-type]
            "extractive_found": extract.found, "extractive_mode": extract.mode,
            "extractive_cites_source": cites_source(extract, q) if q.file else None,
            "extractive_first_cites_source": cites_source(extract, q, True) if q.file else None,
            "model_mode": model.mode, "model_found": model.found,
            "model_cites_source": cites_source(model, q) if q.file else None,
            "model_first_cites_source": cites_source(model, q, True) if q.file else None,
            "model_supported": supported(model) if model.mode == "model" else [],
            "model_left_out": model.left_out,
            "model_sentences": [s.model_dump() for s in model.sentences],
            "extractive_answer": extract.answer, "model_answer": model.answer,
        })  # fmt: skip
    planted = plant_rows(settings, searcher, answerable)
    timing = {
        "cold_extractive_s": round(cold(store, qs[0].text, "extractive"), 2),
        "cold_model_s": round(cold(store, qs[1].text, "model"), 2),
        "warm_extractive_s": round(warm(settings, searcher, answerable, "extractive"), 3),
        "warm_model_s": round(warm(settings, searcher, answerable, "model"), 3),
    }
    results = {"questions": rows, "planted": planted, "timing": timing,
               "graph": graph_figures(settings)}  # fmt: skip
    out = ROOT / "bench" / "results" / "ask.json"
    out.write_text(json.dumps(results, indent=1))
    report(results)


def plant_rows(settings: Settings, searcher: Searcher, qs: list[Question]) -> list[dict[str, Any]]:
    """Each answerable question's source passage, its own sentence, and the false ones."""
    sources: list[tuple[Question, Citation]] = []
    for q in qs:
        cited = passages_of(searcher, question_query(q.text, ""), 5)
        source = next((c for c in cited if points_at(c, q)), None)
        if source is not None:
            sources.append((q, source))
    out = []
    for i, (q, source) in enumerate(sources):
        wanted = content_stems(" ".join(question_query(q.text, "").terms))
        true = best_sentence(source.text, wanted).rstrip(".") + "."
        other_source = sources[(i + 1) % len(sources)][1]
        other = best_sentence(other_source.text, set()).rstrip(".") + "."
        for kind, sentence in {"true": true, **plants(true, other)}.items():
            [checked] = check([Claim(sentence, (1,))], {1: source.text}, settings.ask.support) or [
                None
            ]
            ours_kept = bool(checked and checked.kept)
            peer_kept = embedding_check(settings, sentence, source.text)
            out.append({"question": q.text, "kind": kind, "sentence": sentence,
                        "ours_kept": ours_kept, "peer_kept": peer_kept})  # fmt: skip
    return out


def share(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)} ({sum(values) / max(len(values), 1):.2f})"


def report(results: dict[str, Any]) -> None:
    rows = results["questions"]
    answerable = [r for r in rows if r["file"]]
    print("| measure | DEERIn | peer |\n|---|---|---|")
    print(
        f"| retrieval recall@5 | {share([r['recall5'] for r in answerable])} | BM25 alone "
        f"{share([r['recall5_bm25'] for r in answerable])}; vector alone "
        f"{share([r['recall5_vector'] for r in answerable])} |"
    )
    for mode in ("extractive", "model"):
        print(
            f"| {mode}: first sentence cites the source (within {NEAR:g} s) | "
            f"{share([r[f'{mode}_first_cites_source'] for r in answerable])} | |"
        )
        print(
            f"| {mode}: some sentence cites the source | "
            f"{share([r[f'{mode}_cites_source'] for r in answerable])} | |"
        )
    model_sentences = [ok for r in answerable for ok in r["model_supported"]]
    print(f"| SmolLM2 sentences shown that their citation holds | {share(model_sentences)} | |")
    left = sum(r["model_left_out"] for r in answerable)
    print(f"| SmolLM2 sentences left out as unsupported | {left} | |")
    print(
        f"| SmolLM2 answers kept (not replaced by quotes) | "
        f"{share([r['model_mode'] == 'model' for r in answerable])} | |"
    )
    none = [r for r in rows if not r["file"]]
    print(
        f"| unanswerable questions said so | {share([not r['extractive_found'] for r in none])} | |"
    )
    planted = results["planted"]
    for kind in ("true", "number", "name", "other passage", "negation"):
        chosen = [p for p in planted if p["kind"] == kind]
        verb = "kept" if kind == "true" else "caught"
        ours = [p["ours_kept"] == (kind == "true") for p in chosen]
        peer = [p["peer_kept"] == (kind == "true") for p in chosen]
        print(f"| {kind} sentences {verb} | {share(ours)} | embedding ≥ 0.5: {share(peer)} |")
    print(json.dumps(results["timing"]), json.dumps(results["graph"]))


if __name__ == "__main__":
    main()
