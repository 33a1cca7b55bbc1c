"""Language models behind one interface: the bundled llama.cpp model and a server, cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from deerin.errors import DeerinError
from deerin.models.answers import AnswerCache
from deerin.models.bundled import BUNDLED
from deerin.models.endpoint import EndpointUnreachable
from deerin.models.llm import EndpointModel, LlamaCppModel, open_language_model
from deerin.models.weights import ModelError
from deerin.settings import Settings
from test_endpoint import ChatServer, closed_port_url

SYSTEM = "You answer in one short sentence."


def cache_files(settings: Settings) -> list[Path]:
    return sorted((settings.data_dir / "cache" / "llm").glob("*.json"))


def test_the_bundled_model_generates_once_then_answers_from_the_cache(settings: Settings) -> None:
    model = open_language_model(settings)
    assert isinstance(model, LlamaCppModel)
    assert model.describe() == {"name": "smollm2-135m", "kind": "llama.cpp"}
    first = model.generate(SYSTEM, "What colour is the sky on a clear day?", 12)
    assert first.text and first.model == "smollm2-135m" and not first.cached
    assert len(cache_files(settings)) == 1
    again = model.generate(SYSTEM, "What colour is the sky on a clear day?", 12)
    assert again.cached and again.text == first.text
    other = model.generate(SYSTEM, "What colour is the sky on a clear day?", 8)
    assert not other.cached  # a different length limit is a different question


def test_a_server_model_is_asked_with_the_system_prompt(settings: Settings) -> None:
    with ChatServer() as server:
        model = open_language_model(
            settings.merged({"llm.endpoint": server.url, "models.language_model": "qwen3"})
        )
        assert isinstance(model, EndpointModel) and model.kind == "endpoint"
        answer = model.generate(SYSTEM, "Name a film.", 20)
        assert model.generate(SYSTEM, "Name a film.", 20).cached
    assert answer.text == "Name a film. | no image"  # the echo server repeats the last message
    assert (answer.model, answer.cached, server.requests) == ("qwen3", False, 1)


def test_a_dead_server_is_tried_once(settings: Settings) -> None:
    model = open_language_model(
        settings.merged({"llm.endpoint": closed_port_url(), "models.language_model": "qwen3"})
    )
    with pytest.raises(EndpointUnreachable, match="cannot reach"):
        model.generate(SYSTEM, "one", 20)
    with pytest.raises(DeerinError, match=r"^not asked: cannot reach"):
        model.generate(SYSTEM, "two", 20)
    assert model.unreachable is not None and cache_files(settings) == []


def test_a_local_gguf_file_is_used_and_anything_else_is_refused(settings: Settings) -> None:
    gguf = BUNDLED["smollm2-135m"].files[0].verified()
    local = open_language_model(settings.merged({"models.language_model": str(gguf)}))
    assert isinstance(local, LlamaCppModel) and local.name == gguf.name
    with pytest.raises(ModelError, match=r"set llm\.endpoint"):
        open_language_model(settings.merged({"models.language_model": "llama3"}))


def test_cache_keys_keep_their_parts_apart() -> None:
    assert AnswerCache.key("ab", "c") != AnswerCache.key("a", "bc")
    assert AnswerCache.key("m", "q", b"\x00") == AnswerCache.key("m", "q", b"\x00")
