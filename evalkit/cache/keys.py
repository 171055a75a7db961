"""The cache's keys: a sha256 over everything that can change what is cached, and nothing
else.

- An answer's key covers the served model's identity (Ollama's digest, the GGUF file's
  sha256, or the model string when the server tells nothing more), the messages, every
  sampling setting (temperature, seed, max_tokens, num_ctx, top_p, whatever the config
  sets), and the sample index. The model's name in the config is not in it: renaming a
  model in evalkit.toml keeps its answers.
- A verdict's key covers the judge's definition (`judge_hash`: its prompt, settings, and
  each of its models' identity and settings), the task as the judge sees it (`task_hash`:
  prompt, system, reference, rubric, checks), the answer as the judge sees it
  (`answer_hash`: its text and why generation stopped) and how checks ran (their results
  are shown to the judge).

Every hash is over canonical JSON (sorted keys, no spaces), so it is the same on every
machine and Python. A key never holds a secret: URLs and api keys are not part of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from evalkit.types import JudgeInfo, Task

KEY_VERSION = 1
"""Part of every key: bumped when what a key covers changes, so old entries miss."""


class ServedModel(NamedTuple):
    """What the cache knows of a model: its identity and the settings it is called with."""

    identity: str
    """The served model's identity: digest, GGUF sha256 or the model string."""
    params: Mapping[str, Any]
    """Every sampling and context setting it is called with."""


def digest(value: object) -> str:
    """The sha256 (hex) of `value` as canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answer_key(model: ServedModel, messages: Sequence[Mapping[str, str]], sample: int = 0) -> str:
    """The key of a candidate's answer to `messages` (sample `sample` of that prompt)."""
    return digest(
        {
            "v": KEY_VERSION,
            "what": "answer",
            "model": model.identity,
            "params": dict(model.params),
            "messages": [dict(message) for message in messages],
            "sample": sample,
        }
    )


def task_hash(task: Task) -> str:
    """The task as a judge sees it: prompt, system, reference, rubric and checks (not its
    id, category or tags, which change no verdict)."""
    return digest(task.model_dump(mode="json", exclude={"id", "category", "tags"}))


def answer_hash(text: str, finish_reason: str | None) -> str:
    """The answer as a judge sees it: its text, and why generation stopped (the judge is
    told when an answer was cut at max_tokens)."""
    return digest({"text": text, "finish_reason": finish_reason})


def judge_hash(info: JudgeInfo, models: Mapping[str, ServedModel]) -> str:
    """The judge's definition: its info without its name and file path (the definition's
    sha256 covers the file's bytes and its prompt template), and the identity and settings
    of every model it calls (`models`, by config name; a panel's members' included)."""
    return digest(
        {
            "v": KEY_VERSION,
            "judge": _bare(info),
            "models": {
                name: {"identity": model.identity, "params": dict(model.params)}
                for name, model in sorted(models.items())
            },
        }
    )


def verdict_key(judge: str, task: str, answer: str, checks: str) -> str:
    """The key of a verdict: `judge_hash`, `task_hash`, `answer_hash`, and how the task's
    checks ran (`checks`: e.g. "skip", or the sandbox's name)."""
    return digest(
        {
            "v": KEY_VERSION,
            "what": "verdict",
            "judge": judge,
            "task": task,
            "answer": answer,
            "checks": checks,
        }
    )


def _bare(info: JudgeInfo) -> dict[str, Any]:
    """A judge's info without the names and paths that do not change a verdict."""
    data = info.model_dump(mode="json", exclude={"name", "path", "members"})
    data["members"] = [_bare(member) for member in info.members]
    return data
