"""Summaries and text embeddings: milliseconds per summarised part and per embedded row.

Input: the machine transcript shipped beside ``speech/manifesto.mp4`` (31 segments, 88 s
of read speech, 208 words) as transcript.json, and for embeddings also the lines of the
three sonnet texts. Summary: the stage with the bundled SmolLM2-135M under llama.cpp, cold
cache (one part: a title and a summary), then again with the cache warm. Its peer, in
the same run: plain llama-cpp-python ``create_chat_completion`` on the same prompts.
Embeddings: the stage with the bundled all-MiniLM-L6-v2; its peer: plain
sentence-transformers ``encode`` of the same texts. Wall-clock time, one worker.

    .venv/bin/python bench/language.py          # under a minute on 2 cores

Prints Markdown and writes bench/results/language.json.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from deerin.enrich.summary import (
    SUMMARY_PROMPT,
    SUMMARY_TOKENS,
    SYSTEM,
    TITLE_PROMPT,
    TITLE_TOKENS,
    SummaryStage,
)
from deerin.enrich.text_embeddings import TextEmbeddingsStage, text_embedder
from deerin.index import artefacts
from deerin.index.schemas import Transcript
from deerin.index.store import VideoFolder, read_json
from deerin.models.llm import REPEAT_PENALTY, load_llama, open_language_model
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "media" / "speech"
RESULTS = ROOT / "bench" / "results"


def context(settings: Settings, segments: list[dict], name: str) -> StageContext:
    """A stored video whose transcript stage has run, with a fresh staging folder."""
    folder = VideoFolder.for_video(settings.data_dir, "manifesto")
    transcript = {
        "video_id": "manifesto",
        "model": {"name": "manifesto.json (machine captions)"},
        "language": "en",
        "language_probability": None,
        "languages": [],
        "segments": [
            {"id": n, **s, "language": "en", "avg_logprob": 0.0, "no_speech_prob": 0.0, "words": []}
            for n, s in enumerate(segments)
        ],
        "speech_seconds": sum(s["end"] - s["start"] for s in segments),
        "errors": [],
    }
    artefacts.write(folder.path(Transcript.file), transcript, Transcript)
    folder.write_manifest("transcript", {"fingerprint": "bench"})
    staging = folder.root / name
    staging.mkdir()
    return StageContext("manifesto", SPEECH / "manifesto.mp4", folder, staging, settings)


def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    spoken = json.loads((SPEECH / "manifesto.json").read_text())
    segments = [{"start": s["start"], "end": s["end"], "text": s["content"]} for s in spoken]
    sonnet_lines = [
        line.strip()
        for n in (1, 2, 3)
        for line in (SPEECH / f"sonnet_{n}.txt").read_text().splitlines()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory() as store:
        settings = Settings.from_values(
            {"data_dir": Path(store), "run.workers": 1, "proxy.enabled": False}
        )
        model = open_language_model(settings)
        load_llama(str(model.path), model.threads)  # load once, as a worker does, untimed
        stage = SummaryStage(settings)
        first = context(settings, segments, "cold")
        cold, _ = timed(lambda: stage.run(first))
        warm, _ = timed(lambda: stage.run(context(settings, segments, "warm")))
        document = read_json(first.staging / "summary.json")
        text = document["segments"][0]
        peer, _ = timed(lambda: raw_llama(model, segments, settings))

        rows = segments + [{"start": 0.0, "end": 0.0, "text": line} for line in sonnet_lines]
        embedder = text_embedder(settings)
        embedder.embed(["warm up"])
        embed, _ = timed(lambda: TextEmbeddingsStage(settings).run(context(settings, rows, "emb")))
        plain, _ = timed(lambda: embedder.model.encode([r["text"] for r in rows], batch_size=64))
    figures = {
        "summary_ms_per_part_cold": cold * 1000,
        "summary_ms_per_part_cached": warm * 1000,
        "plain_llama_cpp_ms_same_prompts": peer * 1000,
        "title": text["title"],
        "summary": text["summary"],
        "embedded_rows": len(rows),
        "embedding_ms_per_row": embed * 1000 / len(rows),
        "plain_sentence_transformers_ms_per_row": plain * 1000 / len(rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "language.json").write_text(json.dumps(figures, indent=2))
    print(markdown(figures))


def raw_llama(model, segments: list[dict], settings: Settings) -> None:
    """The peer: the same two prompts straight to llama-cpp-python, no stage, no cache."""
    text = "Speech: " + " ".join(s["text"] for s in segments)
    text = text[: settings.summary.input_chars].rsplit(" ", 1)[0] + " …"
    llama = load_llama(str(model.path), model.threads)
    llama.reset()  # forget the stage's prompt: llama.cpp would reuse its evaluated prefix
    for prompt, tokens in ((TITLE_PROMPT, TITLE_TOKENS), (SUMMARY_PROMPT, SUMMARY_TOKENS)):
        llama.create_chat_completion(
            messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": prompt.format(text=text)},
            ],
            max_tokens=tokens,
            temperature=0.0,
            repeat_penalty=REPEAT_PENALTY,
        )


def markdown(f: dict) -> str:
    return "\n".join(
        [
            "| measure | DEERIn | plain library, same input |",
            "|---|---|---|",
            "| summary, one part (title + summary), cold cache | "
            f"{f['summary_ms_per_part_cold']:.0f} ms | "
            f"{f['plain_llama_cpp_ms_same_prompts']:.0f} ms |",
            f"| summary, same part, cache warm | {f['summary_ms_per_part_cached']:.1f} ms | — |",
            f"| text embedding, per row ({f['embedded_rows']} rows) | "
            f"{f['embedding_ms_per_row']:.2f} ms | "
            f"{f['plain_sentence_transformers_ms_per_row']:.2f} ms |",
            "",
            f"Title: {f['title']!r}. Summary: {f['summary']!r}",
        ]
    )


if __name__ == "__main__":
    main()
