"""What the cache holds: the values stored under answer and verdict keys, and what a
lookup returns. Only successes are ever stored: an answer the endpoint gave, a grading
with a verdict (`store.CacheStore` refuses anything else)."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

from pydantic import Field

from evalkit.types import CheckResult, Grading, Strict

V = TypeVar("V")


class CachedVerdict(Strict):
    """A judge's grading of one answer, with the check results it was shown."""

    grading: Grading
    """The grading as the judge gave it (checked, with a verdict, never a failure)."""
    checks: list[CheckResult] = Field(default_factory=list)
    """The task's check results on the answer, which the judge was shown; empty for a task
    without checks."""
    checks_hash: str | None = None
    """The check definitions' hash (`evalkit.checks.checks_hash`); null without checks."""


class Hit(NamedTuple, Generic[V]):
    """A value found in the cache, and the run that stored it."""

    value: V
    """The cached answer or verdict."""
    run_id: str
    """The run id of the run that asked for it (records made from it name this run)."""


class CacheStats(Strict):
    """What `evalkit cache stats` shows."""

    path: str
    """The cache file."""
    bytes: int
    """Its size on disk, its write-ahead log included."""
    answers: int
    """Answers stored."""
    verdicts: int
    """Verdicts stored."""
    runs: int
    """Distinct runs that stored them."""
    oldest: str | None = None
    """When the oldest entry was stored (UTC, ISO 8601); null for an empty cache."""
    newest: str | None = None
    """When the newest entry was stored; null for an empty cache."""


class Pruned(Strict):
    """What `evalkit cache prune` removed."""

    answers: int
    """Answers removed."""
    verdicts: int
    """Verdicts removed."""
    before: str
    """Entries stored before this time were removed (UTC, ISO 8601)."""
