"""The cache across runs: answers and verdicts already paid for, kept in one SQLite file
in the user's cache folder and used by every later run whose key matches.

A stage below `run` (which uses it) that imports only the leaves and the standard
library. `keys` says what a key covers; `store` what the file guarantees (only
successes, safe for several processes at once); `location` where the file is.
"""

from evalkit.cache.entries import CachedVerdict, CacheStats, Hit, Pruned
from evalkit.cache.keys import (
    ServedModel,
    answer_hash,
    answer_key,
    judge_hash,
    task_hash,
    verdict_key,
)
from evalkit.cache.location import cache_path, parse_duration
from evalkit.cache.store import CacheStore

__all__ = [
    "CacheStats",
    "CacheStore",
    "CachedVerdict",
    "Hit",
    "Pruned",
    "ServedModel",
    "answer_hash",
    "answer_key",
    "cache_path",
    "judge_hash",
    "parse_duration",
    "task_hash",
    "verdict_key",
]
