"""The models package as a plugin: its language-model backends (llama.cpp, a server)."""

from __future__ import annotations

from deerin.models.backends import Backend


def model_backends() -> list[Backend]:
    from deerin.models import llm

    return [
        Backend("language_model", "llama.cpp", llm.llama_cpp),
        Backend("language_model", "openai-compatible", llm.endpoint),
    ]
