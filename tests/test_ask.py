"""Questions answered from the newsreels (tests/newsreel.py), each sentence cited to its
moment: extractive answers, answers written by a model and checked, answers counted from
the graph, and every way a question or a model can go wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.errors import DeerinError
from deerin.retrieve.answers import Answer
from deerin.retrieve.ask import NOT_FOUND, ask, check
from deerin.retrieve.citations import claims
from deerin.settings import Settings
from newsreel import COLLECTION, PERSON, Newsreel, newsreel_settings
from test_endpoint import ChatServer, closed_port_url
from test_sequence import OrderServer

CLOSURE = "What is said about the shipyards' closure?"


@pytest.fixture(scope="module")
def settings(newsreel_store: Path) -> Settings:
    return newsreel_settings(newsreel_store)


def cited(answer: Answer, n: int = 1) -> tuple[str, float]:
    citation = answer.citations[n - 1]
    return citation.file, citation.start


def test_a_question_is_answered_by_quoting_the_moment_that_says_it(
    settings: Settings, newsreel: Newsreel
) -> None:
    answer = ask(settings, "When did the shipyard close?")
    assert answer.found and answer.mode == "extractive" and answer.model is None
    file, start = cited(answer)
    said_file, said_at = newsreel.said("shipyards closed")
    assert file == said_file and abs(start - said_at) < 1.0
    assert "1971" in answer.sentences[0].text and answer.sentences[0].citations == [1]
    assert answer.citations[0].link.startswith(f"/video/{answer.citations[0].video_id}?t=")
    assert answer.citations[0].title == "Clyde shipyards" and answer.citations[0].year == 1962
    assert any("No model wrote this answer" in note for note in answer.notes)
    closure = ask(settings, CLOSURE)
    assert any("closed in 1971" in c.text for c in closure.citations[:2])


def test_nothing_relevant_is_said_plainly(settings: Settings) -> None:
    for question in ("What is the recipe for bouillabaisse?", "Was sagt man über die Werft?"):
        answer = ask(settings, question)
        assert not answer.found and answer.mode == "none"
        assert answer.answer == NOT_FOUND and answer.citations == []


def test_a_long_question_is_read_in_part_and_says_so(settings: Settings) -> None:
    answer = ask(settings, "When did the shipyard close? " + "please " * 2000)
    assert answer.found and "only the first 1000 characters" in answer.notes[0]
    with pytest.raises(DeerinError, match="there is no question"):
        ask(settings, "   ")


def test_filters_and_decades_narrow_the_films(settings: Settings) -> None:
    assert {c.file for c in ask(settings, "Lisbon", fields="year:1968").citations} == {
        "harbour.mp4"
    }
    assert not ask(settings, "What did the 1950s films say about Lisbon?").found


def test_who_appears_with_someone_is_counted_from_the_graph(
    settings: Settings, newsreel: Newsreel
) -> None:
    answer = ask(settings, "Who appears most often with Lisbon?")
    assert answer.mode == "graph" and answer.found
    assert answer.sentences[0].text.startswith(f"{PERSON} is seen or named with Lisbon")
    harbour = [c.start for c in answer.citations if c.file == "harbour.mp4"]
    said = newsreel.said("harbour of Lisbon")[1]
    assert harbour and min(abs(s - said) for s in harbour) < 2.5
    nobody = ask(settings, "Who appears with New York?")
    assert nobody.mode == "graph"
    assert "New York" in nobody.answer  # seen with nobody, or with the person: said plainly
    older = ask(settings, "Who appears with Lisbon in the 1950s films?")
    assert not older.found and older.answer.endswith("in the films of 1950–1959.")
    unknown = ask(settings, "Who appears with Atlantis?")
    assert unknown.mode != "graph" and any("nobody and nothing called" in n for n in unknown.notes)


def test_the_main_subjects_of_a_decade_come_from_the_graph(settings: Settings) -> None:
    answer = ask(settings, "What are the main subjects of the 1960s films?")
    assert answer.mode == "graph" and len(answer.sentences) == 5
    labels = " ".join(s.text for s in answer.sentences)
    assert "Lisbon (place)" in labels and all(s.citations for s in answer.sentences)
    assert not ask(settings, "What are the main subjects of the 1920s films?").found
    topic = ask(settings, "What are the main subjects of the films about the shipyard?")
    assert topic.mode != "graph" and topic.citations[0].file == "clyde.mp4"


def test_a_models_answer_is_checked_and_unsupported_sentences_left_out(
    settings: Settings,
) -> None:
    reply = (
        "The shipyard closed in 1971 because the orders fell [1]. "
        "It closed in Paris in 1985 [1]. Fishing boats returned to Lisbon [9]."
    )
    with OrderServer(reply) as server:
        asked = settings.merged({"llm.endpoint": server.url, "models.language_model": "writer"})
        answer = ask(asked, "When did the shipyard close?")
    assert "[1] (Clyde shipyards, 1962" in server.questions[0]
    assert answer.mode == "model" and answer.model == "writer"
    kept = [s.text for s in answer.sentences if s.kept]
    assert kept == ["The shipyard closed in 1971 because the orders fell."]
    assert answer.left_out == 2 and answer.answer.endswith("[1]")
    assert any("2 sentences were left out" in n for n in answer.notes)


def test_a_model_that_is_down_slow_or_talks_nonsense_gives_way_to_quotes(
    settings: Settings,
) -> None:
    down = settings.merged({"llm.endpoint": closed_port_url(), "models.language_model": "m"})
    answer = ask(down, "When did the shipyard close?")
    assert answer.mode == "extractive" and any("could not answer" in n for n in answer.notes)
    for mode, more in (("slow", {"llm.timeout": 0.5}), ("garbage", {})):
        with ChatServer(mode) as server:
            asked = settings.merged(
                {"llm.endpoint": server.url, "models.language_model": "m", **more}
            )
            answer = ask(asked, "When did the shipyard close?")
        assert answer.found and answer.mode == "extractive", mode
        assert any("could not answer" in n for n in answer.notes), (mode, answer.notes)
    with OrderServer("Bananas are yellow. The moon is made of cheese.") as server:
        asked = settings.merged({"llm.endpoint": server.url, "models.language_model": "m"})
        answer = ask(asked, "When did the shipyard close?")
    assert answer.mode == "extractive" and answer.left_out == 2
    assert any("No sentence of m's answer is held" in n for n in answer.notes)


def test_the_bundled_model_writes_only_what_the_passages_hold(settings: Settings) -> None:
    answer = ask(settings, "Who opened the shipyard in Glasgow?", mode="model")
    assert answer.found
    if answer.mode == "model":  # SmolLM2 may also invent everything: then quotes stand in
        assert answer.model == "smollm2-135m"
        assert all(s.support >= settings.ask.support for s in answer.sentences if s.kept)
    assert all(1 <= n <= len(answer.citations) for s in answer.sentences for n in s.citations)


def test_the_check_catches_planted_sentences() -> None:
    passages = {
        1: "The shipyard closed in 1971 because the orders fell, and it never reopened.",
        2: "The mayor visited the harbour of Lisbon with the United Nations delegation.",
    }
    true = (
        "The shipyard closed in 1971 [1]. The mayor visited Lisbon's harbour [2]. "
        "The shipyard didn't reopen [1]."
    )
    planted = (
        "The shipyard closed in 1985 [1]. The mayor visited the harbour of Porto [2]. "
        "The United Nations built ships in Glasgow [2]. Orders rose sharply [1]. "
        "The shipyard was not closed in 1971 [1]. It is not true that the mayor visited "
        "the harbour of Lisbon [2]. The shipyard reopened in 1971 [1]."
    )
    assert [s.kept for s in check(claims(true), passages, 0.5)] == [True] * 3
    assert [s.kept for s in check(claims(planted), passages, 0.5)] == [False] * 7
    stray = {1: "Boys ' club: the shipyard ’ closed in 1971."}  # OCR leaves lone apostrophes
    assert check(claims("The shipyard closed in 1971 [1]."), stray, 0.5)[0].kept
    uncited = check(claims("The orders fell, so the shipyard closed."), passages, 0.5)
    assert uncited[0].kept and uncited[0].citations == [1] and uncited[0].cited_by_check
    assert [c.cites for c in claims("One [1][2]. Two [3, 4]. Three.")] == [(1, 2), (3, 4), ()]


def cli(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(application(), ["--data-dir", str(store), *args])
    return result.exit_code, result.output


def test_deerin_ask_prints_the_answer_and_its_sources(newsreel_store: Path) -> None:
    code, said = cli(newsreel_store, "ask", "When did the shipyard close?", "-c", COLLECTION)
    assert code == 0 and "“The shipyard closed in 1971" in said and "\n[1] clyde.mp4 00:00:" in said
    code, said = cli(newsreel_store, "ask", "Lisbon?", "--year", "1968", "--json")
    assert code == 0 and {c["file"] for c in json.loads(said)["citations"]} == {"harbour.mp4"}
    code, said = cli(newsreel_store, "ask", "why?", "--mode", "poetry")
    assert code == 2 and "extractive, model or auto" in said
    code, said = cli(newsreel_store.parent / "nothing", "ask", "anything?")
    assert code == 2 and "no search index" in said and "Traceback" not in said
