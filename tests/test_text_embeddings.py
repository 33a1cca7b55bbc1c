"""Text embeddings: one unit-length row per text said or read, aligned with its JSON row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import write_artefact
from deerin.enrich.text_embeddings import TextEmbeddingsStage, embed_queries
from deerin.index.schemas import TextEmbeddings
from deerin.index.store import VideoFolder, read_json
from deerin.models.weights import ModelError
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

DIM = 384  # all-MiniLM-L6-v2
EMBEDDINGS = str(TextEmbeddings.vectors)


def video_with_layers(settings: Settings, layers: dict[str, tuple[str, Any]]) -> StageContext:
    """A stored video whose stages ``layers`` (stage → (file name, document)) have run."""
    folder = VideoFolder.for_video(settings.data_dir, "v1")
    for stage, (name, document) in layers.items():
        write_artefact(folder, name, document)
        folder.write_manifest(stage, {"fingerprint": stage})
    staging = folder.root / "staging"
    staging.mkdir(parents=True, exist_ok=True)  # a second run of a stage reuses it
    return StageContext("v1", Path("v1.mkv"), folder, staging, settings)


def transcript(*segments: tuple[float, float, str]) -> tuple[str, dict[str, Any]]:
    """A transcript.json with the given segments (no word timings)."""
    return "transcript.json", {
        "segments": [
            {"id": n, "start": start, "end": end, "text": text}
            for n, (start, end, text) in enumerate(segments)
        ]
    }


def test_a_paraphrase_is_nearer_than_an_unrelated_sentence(settings: Settings) -> None:
    query, paraphrase, unrelated = embed_queries(
        [
            "The mayor opened the new bridge over the river.",
            "A new river crossing was inaugurated by the town's mayor.",
            "Bake the bread for forty minutes at a high heat.",
        ],
        settings,
    )
    assert float(query @ paraphrase) > float(query @ unrelated) + 0.3


def test_rows_follow_every_layer_and_line_up_with_the_array(settings: Settings) -> None:
    ctx = video_with_layers(
        settings,
        {
            "transcript": transcript((0.0, 2.5, " Good evening from London."), (3.0, 4.0, "  ")),
            "subtitles": (
                "subtitles.json",
                {"tracks": [{"events": [{"start": 5.0, "end": 6.0, "text": "Bonsoir\nParis"}]}]},
            ),
            "text": ("text.json", {"events": [{"start": 7.0, "end": 9.0, "text": "THE END"}]}),
            "captions": (
                "captions.json",
                {
                    "captions": [
                        {"time": 1.0, "answer": "Close-up; 1 face.", "source": "composed"},
                        {"time": 2.0, "answer": "A man reads the news.", "source": "model"},
                    ]
                },
            ),
        },
    )
    output = TextEmbeddingsStage(settings).run(ctx)
    document = read_json(ctx.staging / "text_embeddings.json")
    vectors = np.load(ctx.staging / EMBEDDINGS)
    assert [(r["source"], r["start"], r["text"]) for r in document["rows"]] == [
        ("transcript", 0.0, "Good evening from London."),  # the blank segment is left out
        ("subtitles", 5.0, "Bonsoir Paris"),
        ("text", 7.0, "THE END"),
        ("captions", 2.0, "A man reads the news."),  # the composed caption is left out
    ]
    assert document["dim"] == DIM and document["model"]["name"] == "all-minilm-l6-v2"
    assert vectors.shape == (4, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    queries = embed_queries([row["text"] for row in document["rows"]], settings)
    assert np.allclose(vectors, queries, atol=1e-5)  # row i is the embedding of text i
    assert output.summary == {"rows": 4, "from": ["transcript", "subtitles", "text", "captions"]}


def test_a_video_with_no_text_gets_no_rows_and_an_empty_array(settings: Settings) -> None:
    ctx = video_with_layers(settings, {"transcript": transcript()})
    TextEmbeddingsStage(settings).run(ctx)
    assert read_json(ctx.staging / "text_embeddings.json")["rows"] == []
    assert np.load(ctx.staging / EMBEDDINGS).shape == (0, DIM)


def test_a_model_that_is_not_here_is_a_clear_error(settings: Settings) -> None:
    missing = settings.merged({"models.text_embeddings": "nobody/no-such-model"})
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        embed_queries(["hello"], missing)
