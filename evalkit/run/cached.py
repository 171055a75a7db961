"""The cache across runs inside a run: what a key of the run looks up and stores.

Guarantees:
- A candidate is not asked when the cache holds an answer under the same answer key
  (`evalkit.cache.keys`), and the judge is not asked (nor the task's checks run) when it
  holds a verdict under the same verdict key. The record says so, with the run id that
  stored it (`Record.cached_answer_from`, `cached_verdict_from`).
- Only successes are stored: an answer the endpoint gave (whatever the judge then made of
  it), and a grading with a verdict. A failed call, `unavailable` and `judge_error` leave
  the cache as it was, so the next run asks again.
- `--refresh` looks nothing up and stores every new answer and verdict over the old ones.
- Each model's identity is the manifest's (`identity_of`), as found when the run started;
  the judge's key covers every model it calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from evalkit.cache import (
    CachedVerdict,
    CacheStore,
    Hit,
    ServedModel,
    answer_hash,
    answer_key,
    cache_path,
    judge_hash,
    task_hash,
    verdict_key,
)
from evalkit.judges.protocol import judge_models_of
from evalkit.run.checking import Checked, CheckSetup, definitions
from evalkit.types import Answer, CacheUse, Grading, ModelInfo, RunManifest, Task

CacheMode = Literal["use", "refresh", "off"]


def identity_of(info: ModelInfo) -> str:
    """A model's identity as the manifest records it (`ModelInfo.identity`: Ollama's digest,
    the GGUF file's sha256, or the model string), else the model string litellm calls (a
    manifest written before identities were recorded)."""
    return info.identity or info.litellm_model


class RunCache:
    """One run's view of the cache: its models' identities, its judge's hash, its mode."""

    def __init__(self, store: CacheStore, manifest: RunManifest, refresh: bool, skip: bool):
        self.store = store
        self.refresh = refresh
        """--refresh: look nothing up, store everything again."""
        self.run_id = manifest.run_id
        self.models = {
            name: ServedModel(identity_of(info), info.params)
            for name, info in manifest.models.items()
        }
        judged = {n: self.models[n] for n in judge_models_of(manifest.judge) if n in self.models}
        self.judge = judge_hash(manifest.judge, judged)
        self.checks = "skip" if skip else "run"
        """How checks ran: their results are shown to the judge, so this is in the key."""

    def answer(
        self, candidate: str, messages: list[dict[str, str]], sample: int = 0
    ) -> tuple[str, Hit[Answer] | None]:
        """The answer key, and the answer the cache holds under it (None on --refresh)."""
        key = answer_key(self.models[candidate], messages, sample)
        return key, None if self.refresh else self.store.answer(key)

    def keep_answer(self, key: str, answer: Answer) -> None:
        """Store an answer the candidate gave."""
        self.store.put_answer(key, answer, self.run_id)

    def verdict(self, task: Task, answer: Answer) -> tuple[str, Hit[CachedVerdict] | None]:
        """The verdict key of `answer` to `task`, and the verdict the cache holds under it
        (None on --refresh)."""
        checks = self.checks if task.checks else ""
        key = verdict_key(
            self.judge, task_hash(task), answer_hash(answer.text, answer.finish_reason), checks
        )
        return key, None if self.refresh else self.store.verdict(key)

    def keep_verdict(self, key: str, grading: Grading, checked: Checked) -> None:
        """Store a grading that has a verdict, with the check results the judge was shown;
        a grading without one (a failure) is not stored."""
        if grading.verdict is None:
            return
        value = CachedVerdict(grading=grading, checks=checked.results, checks_hash=checked.key)
        self.store.put_verdict(key, value, self.run_id)

    def close(self) -> None:
        """Close the cache file."""
        self.store.close()


def checked_of(task: Task, hit: CachedVerdict) -> Checked:
    """The check results a cached verdict was made with, as the run applies them."""
    return Checked(definitions(task) if task.checks else [], list(hit.checks), hit.checks_hash)


def bind_cache(
    store: CacheStore | None, mode: CacheMode, manifest: RunManifest, setup: CheckSetup
) -> RunCache | None:
    """The run's cache once its manifest is final (its models' identities known)."""
    if store is None or mode == "off":
        return None
    return RunCache(store, manifest, refresh=mode == "refresh", skip=setup.skip)


def open_cache(mode: CacheMode, configured: str | None, base_dir: Path) -> CacheStore | None:
    """The cache file a run uses (the config's `cache` key, EVALKIT_CACHE, or the default
    in the user's cache folder), opened; None with --no-cache or when it is set "off"."""
    if mode == "off":
        return None
    path = cache_path(configured, base_dir)
    return CacheStore(path) if path is not None else None


def cache_use(store: CacheStore | None, mode: CacheMode) -> CacheUse | None:
    """What the manifest records of the cache: its file and mode; None when off."""
    if store is None or mode == "off":
        return None
    return CacheUse(mode=mode, path=str(store.path))
