"""Summaries: titles and summaries per part and per video, from the texts said and read."""

from __future__ import annotations

import pytest

from deerin.enrich.entities.texts import TextItem
from deerin.enrich.summary import NO_TEXT, SummaryStage, cut
from deerin.index.store import read_json
from deerin.models.endpoint import EndpointUnreachable
from deerin.settings import Settings
from test_endpoint import ChatServer, closed_port_url
from test_text_embeddings import transcript, video_with_layers

NEWSREEL = transcript(
    (0.0, 4.0, " The Queen opened the new bridge over the Thames today."),
    (4.5, 9.0, " Crowds lined both banks of the river to watch the ceremony."),
)


def long_talk() -> tuple[str, dict]:
    """Ten minutes of speech: a 20 s segment every 30 s."""
    return transcript(*[(n * 30.0, n * 30.0 + 20.0, f"Sentence number {n}.") for n in range(20)])


def summarise(settings: Settings, layers: dict) -> tuple[dict, object]:
    ctx = video_with_layers(settings, layers)
    output = SummaryStage(settings).run(ctx)
    return read_json(ctx.staging / "summary.json"), output


def test_the_bundled_model_titles_a_short_transcript_and_a_rerun_is_free(
    settings: Settings,
) -> None:
    document, output = summarise(settings, {"transcript": NEWSREEL})
    assert document["model"] == {"name": "smollm2-135m", "kind": "llama.cpp"}
    assert document["generated"] is True and document["inputs"] == ["transcript"]
    assert isinstance(document["title"], str) and document["title"].strip()
    assert isinstance(document["summary"], str) and document["summary"].strip()
    (segment,) = document["segments"]
    assert (segment["start"], segment["end"], segment["truncated"]) == (0.0, 9.0, False)
    assert (segment["title"], segment["summary"]) == (document["title"], document["summary"])
    assert output.summary == {"segments": 1, "generated": 2, "cached": 0}
    assert output.problem is None and document["errors"] == []
    again, output = summarise(settings.model_copy(), {"transcript": NEWSREEL})
    assert output.summary == {"segments": 1, "generated": 0, "cached": 2}
    assert again["title"] == document["title"]


def test_long_videos_are_cut_between_transcript_segments() -> None:
    items = [TextItem("transcript", n * 30.0, n * 30.0 + 20.0, "x") for n in range(20)]
    items.append(TextItem("text", 245.0, 246.0, "CAPTION"))  # no cut inside speech
    parts = cut(items, 240.0)
    assert [(p.start, p.end) for p in parts] == [(0.0, 230.0), (240.0, 470.0), (480.0, 590.0)]
    assert [i.source for i in parts[1].items][:2] == ["transcript", "text"]
    on_screen_only = [TextItem("text", t, t + 1.0, "x") for t in (0.0, 100.0, 300.0)]
    assert [p.start for p in cut(on_screen_only, 240.0)] == [0.0, 300.0]


def test_a_server_summarises_each_part_and_the_video_from_the_parts(settings: Settings) -> None:
    with ChatServer() as server:
        served = settings.merged({"llm.endpoint": server.url, "models.language_model": "echo"})
        document, output = summarise(served, {"transcript": long_talk()})
    assert document["model"] == {"name": "echo", "kind": "endpoint"}
    assert len(document["segments"]) == 3 and server.requests == 8  # 2 per part + 2 for the video
    first = document["segments"][0]
    assert first["title"].startswith("Speech: Sentence number 0. Sentence number 1.")
    assert "Sentence number 8" not in first["title"]  # the first part ends before 240 s
    assert first["summary"].startswith("Speech: Sentence number 0.")
    assert first["summary"].endswith("in one to three sentences. | no image")
    assert document["summary"].startswith("Speech: Sentence number 0.")  # built from the parts
    assert output.problem is None


def test_garbage_answers_are_recorded_and_leave_the_stage_partial(settings: Settings) -> None:
    with ChatServer("garbage") as server:
        served = settings.merged({"llm.endpoint": server.url, "models.language_model": "junk"})
        document, output = summarise(served, {"transcript": NEWSREEL})
    assert document["title"] is None and document["summary"] is None
    assert len(document["errors"]) == 2 == server.requests
    assert all("not an OpenAI chat completion" in e["problem"] for e in document["errors"])
    assert output.problem.startswith("2 of 2 answers failed")


def test_a_slow_server_times_out_per_answer_and_the_stage_goes_on(settings: Settings) -> None:
    with ChatServer("slow") as server:
        served = settings.merged(
            {"llm.endpoint": server.url, "models.language_model": "m", "llm.timeout": 0.3}
        )
        document, output = summarise(served, {"transcript": NEWSREEL})
    assert document["title"] is None and document["summary"] is None
    assert [e["problem"] for e in document["errors"]] == [
        f"no answer from {server.url} within 0.3 s — raise llm.timeout, or use a smaller or "
        "faster model"
    ] * 2
    assert output.problem.startswith("2 of 2 answers failed")


def test_a_dead_server_fails_the_stage_after_one_try(settings: Settings) -> None:
    dead = settings.merged({"llm.endpoint": closed_port_url(), "models.language_model": "any"})
    with pytest.raises(EndpointUnreachable):
        summarise(dead, {"transcript": long_talk()})


def test_no_text_at_all_is_done_with_a_reason(settings: Settings) -> None:
    document, output = summarise(settings, {"transcript": transcript()})
    assert (document["title"], document["summary"], document["reason"]) == (None, None, NO_TEXT)
    assert document["segments"] == [] and output.problem is None
