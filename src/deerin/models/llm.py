"""Language models behind one interface: the bundled llama.cpp model, or a server.

Offline, and by default, the bundled SmolLM2-135M runs in-process under llama.cpp: tiny
and fast enough for any machine, but it invents facts, so callers keep prompts short
and extractive. For real use ``llm.endpoint`` names any OpenAI-compatible server
(Ollama, vLLM) and ``models.language_model`` the model to ask there; that setting may
also name a local ``.gguf`` file.

Every answer is cached on disk by a hash of model, system prompt, prompt and length
limit, so a rerun, or a second video with the same text, costs no generation. Answers
are generated at temperature 0: the same question gets the same answer, so fresh and
cached answers agree.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from deerin.models.answers import AnswerCache, ReachGuard
from deerin.models.backends import open_model
from deerin.models.device import cpu_threads
from deerin.models.endpoint import ChatEndpoint, EndpointUnreachable, text_message
from deerin.models.resolver import ModelChoice
from deerin.models.weights import ModelError
from deerin.settings import Settings

CONTEXT_TOKENS = 2048  # the bundled model's training context; prompts stay far below it
REPEAT_PENALTY = 1.2  # greedy decoding of a 135M model loops without it
LLAMA_LOCK = threading.Lock()


@dataclass(frozen=True)
class Generated:
    """One generated text, with the model that wrote it and whether it came from the cache."""

    text: str
    model: str
    cached: bool


class LanguageModel(ABC):
    """Generates text from a system prompt and a prompt, answering from the cache first."""

    name: str  # recorded beside every generated text
    kind: str  # "llama.cpp" or "endpoint"

    def __init__(self, name: str, cache_folder: Path) -> None:
        self.name = name
        self.cache = AnswerCache(cache_folder)

    def generate(self, system: str, prompt: str, max_tokens: int) -> Generated:
        """The model's answer; raises DeerinError when the model cannot answer."""
        key = AnswerCache.key(self.name, system, prompt, str(max_tokens))
        cached = self.cache.get(key)
        if cached is not None:
            return Generated(cached, self.name, cached=True)
        text = self._complete(system, prompt, max_tokens).strip()
        self.cache.put(key, text, model=self.name, system=system, prompt=prompt)
        return Generated(text, self.name, cached=False)

    @property
    def unreachable(self) -> EndpointUnreachable | None:
        """Why the model's server could not be reached (None: it could, or runs in-process)."""
        return None

    def describe(self) -> dict[str, Any]:
        """What to record as the model: name and kind."""
        return {"name": self.name, "kind": self.kind}

    @abstractmethod
    def _complete(self, system: str, prompt: str, max_tokens: int) -> str:
        """Generate an answer (no cache)."""


class LlamaCppModel(LanguageModel):
    """A GGUF model run in this process by llama.cpp, on this worker's share of the cores."""

    kind = "llama.cpp"

    def __init__(self, name: str, path: Path, threads: int, cache_folder: Path) -> None:
        super().__init__(name, cache_folder)
        self.path = path
        self.threads = threads

    def _complete(self, system: str, prompt: str, max_tokens: int) -> str:
        # One llama.cpp context is not safe from two threads (a web server's): one at a time.
        with LLAMA_LOCK:
            try:
                reply = load_llama(str(self.path), self.threads).create_chat_completion(
                    messages=[text_message(system, "system"), text_message(prompt)],
                    max_tokens=max_tokens,
                    temperature=0.0,
                    repeat_penalty=REPEAT_PENALTY,
                )
            except (ValueError, RuntimeError) as exc:  # e.g. a prompt longer than its context
                raise ModelError(f"llama.cpp could not answer ({exc})", path=self.path) from exc
        return str(reply["choices"][0]["message"]["content"] or "")


class EndpointModel(LanguageModel):
    """A model asked at an OpenAI-compatible server; a dead server is tried only once."""

    kind = "endpoint"

    def __init__(self, name: str, endpoint: ChatEndpoint, cache_folder: Path) -> None:
        super().__init__(name, cache_folder)
        self.endpoint = endpoint
        self.guard = ReachGuard()

    @property
    def unreachable(self) -> EndpointUnreachable | None:
        return self.guard.unreachable

    def _complete(self, system: str, prompt: str, max_tokens: int) -> str:
        messages = [text_message(system, "system"), text_message(prompt)]
        return self.guard.call(
            lambda: self.endpoint.chat(messages, self.name, max_tokens=max_tokens)
        )


def open_language_model(settings: Settings) -> LanguageModel:
    """The language model the settings name; raises ModelError when there is none to use."""
    return open_model("language_model", settings)


def llama_cpp(chosen: ModelChoice, settings: Settings) -> LanguageModel:
    """The llama.cpp backend: a bundled or local GGUF file, run in this process."""
    return LlamaCppModel(chosen.name, chosen.weights()[0], cpu_threads(settings), _cache(settings))


def endpoint(chosen: ModelChoice, settings: Settings) -> LanguageModel:
    """The OpenAI-compatible backend: the model asked at ``llm.endpoint``."""
    server = ChatEndpoint.from_settings(settings, prefix="llm")
    return EndpointModel(chosen.name, server, _cache(settings))


def _cache(settings: Settings) -> Path:
    return settings.data_dir / "cache" / "llm"


@cache
def load_llama(path: str, threads: int) -> Any:
    """The llama.cpp model, loaded once per worker process."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError(
            "llama-cpp-python is not installed",
            hint="run scripts/setup.sh, or set llm.endpoint to an OpenAI-compatible server",
        ) from exc
    try:
        return llama_cpp.Llama(
            model_path=path, n_ctx=CONTEXT_TOKENS, n_threads=threads, verbose=False
        )
    except (ValueError, RuntimeError) as exc:  # not a GGUF file, or one llama.cpp cannot run
        raise ModelError(f"llama.cpp cannot load the model ({exc})", path=path) from exc
