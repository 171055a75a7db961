"""Shards: the planned tasks dealt to N parts by a stable hash, so N machines can each run
one part (`run --shard I/N`) and `evalkit merge` joins their run files.

How a task finds its shard: the planned tasks are ordered by the sha256 of their id (UTF-8)
and dealt round robin, the first to shard 1, the second to shard 2, and so on. Hence:

- every planned task is in exactly one of the N shards, whatever N;
- the assignment depends on the planned task ids only: the same on every machine and every
  Python version (no `hash()`, no seed), so machines agree without talking;
- shard sizes differ by at most one task, so N machines finish together. A plain digest
  modulo N does not: with 40 tasks and 2 shards its larger shard holds 23 or more of them
  43% of the time (binomial), and a sharded run lasts as long as its largest shard.

Shards are made of tasks, not of (task, candidate) keys: every candidate of a task runs on
the same machine, so a pairwise run (which asks each candidate once per task and judges
every pair from those answers) shards too, and a shard's file holds whole tasks, which is
what the report and the per-task comparison show.

Cost: one sha256 per planned task and a sort of their digests; the digests of one shard
(32 bytes a task) are held, never the tasks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from evalkit.errors import ConfigError

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """`--shard I/N` as (I, N), 1 <= I <= N; anything else is a ConfigError naming it."""
    match = _SHARD.fullmatch(text)
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise ConfigError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 1/2 or 3/4")
    return int(match[1]), int(match[2])


def task_digest(task_id: str) -> bytes:
    """The stable hash of a task: the sha256 of its id."""
    return hashlib.sha256(task_id.encode("utf-8")).digest()


def shard_members(ids: Iterable[str], index: int, count: int) -> frozenset[bytes]:
    """The digests (`task_digest`) of the tasks in shard `index` of `count`, given every
    planned task id (unique, as a suite's are)."""
    ordered = sorted(task_digest(task_id) for task_id in ids)
    return frozenset(ordered[index - 1 :: count])


def shard_ids(ids: Iterable[str], index: int, count: int) -> list[str]:
    """The planned task ids in shard `index` of `count`, in their given order."""
    ids = list(ids)
    members = shard_members(ids, index, count)
    return [task_id for task_id in ids if task_digest(task_id) in members]
