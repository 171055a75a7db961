"""`run --shard I/N`: the planned tasks narrowed to one shard (which tasks, and why by task,
is in evalkit.runfile.shards), without giving up streaming: a large suite's shard is read
from its spool on each pass, like the suite itself."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import overload

from evalkit.errors import ConfigError
from evalkit.runfile.shards import parse_shard, shard_members, task_digest
from evalkit.types import ShardInfo, Task


class ShardOf(Sequence[Task]):
    """The tasks of a streamed suite (a TaskStream) that fall in one shard, read lazily on
    each pass; holds the shard's digests, not its tasks."""

    def __init__(self, tasks: Sequence[Task], members: frozenset[bytes]) -> None:
        self.tasks = tasks
        self.members = members

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self) -> Iterator[Task]:
        return (task for task in self.tasks if task_digest(task.id) in self.members)

    @overload
    def __getitem__(self, key: int) -> Task: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[Task]: ...
    def __getitem__(self, key: int | slice) -> Task | Sequence[Task]:
        if isinstance(key, slice):
            return list(self)[key]
        index = range(len(self))[key]  # IndexError as a list would raise it
        return next(itertools.islice(iter(self), index, None))


def take_shard(tasks: Sequence[Task], index: int, count: int) -> tuple[Sequence[Task], ShardInfo]:
    """The planned tasks of shard `index` of `count`, and the manifest's record of it. A
    list stays a list; a streamed suite stays streamed (one pass over it here, for the ids)."""
    members = shard_members((task.id for task in tasks), index, count)
    chosen: Sequence[Task]
    if isinstance(tasks, list):
        chosen = [task for task in tasks if task_digest(task.id) in members]
    else:
        chosen = ShardOf(tasks, members)
    return chosen, ShardInfo(index=index, count=count, tasks=len(members))


def resumed_shard(asked: str | None, held: ShardInfo | None, path: str) -> str | None:
    """The --shard a resume of the run file at `path` runs (`held`: its manifest's shard):
    the file's own; a different --shard is a ConfigError."""
    shard = (held.index, held.count) if held is not None else None
    if asked and parse_shard(asked) != shard:
        kept = f"shard {held.index}/{held.count}" if held else "a whole run, not a shard"
        raise ConfigError(
            f"--shard {asked}: {path} is {kept}; a resume keeps its shard (leave --shard out)"
        )
    return f"{held.index}/{held.count}" if held else None
