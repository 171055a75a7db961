"""Shards: every planned task in exactly one shard of N, shards within one task of each
other in size, and the same assignment on every machine and Python (a stable hash)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from evalkit.errors import ConfigError
from evalkit.runfile.coverage import planned_ids, planned_tasks
from evalkit.runfile.shards import parse_shard, shard_ids
from evalkit.types import JudgeInfo, RunManifest, ShardInfo, SuiteInfo

SUITES = {
    "empty": [],
    "one": ["only"],
    "seven": [f"t{i:03d}" for i in range(7)],
    "forty": [f"t{i:03d}" for i in range(40)],
    "unicode-and-odd": ["café", "a/b", "x y", "ñ", "", "0", "00", "-1"],
    "hundred-and-one": [f"task-{i}" for i in range(101)],
}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("ids", SUITES.values(), ids=SUITES.keys())
def test_every_task_is_in_exactly_one_shard_and_shards_are_balanced(
    ids: list[str], count: int
) -> None:
    shards = [shard_ids(ids, index, count) for index in range(1, count + 1)]
    placed = [task_id for shard in shards for task_id in shard]
    assert sorted(placed) == sorted(ids)  # each once: no task lost, none twice
    sizes = [len(shard) for shard in shards]
    assert max(sizes) - min(sizes) <= 1
    for shard in shards:  # each shard keeps the suite's order
        assert shard == [task_id for task_id in ids if task_id in shard]


def test_the_assignment_is_pinned_by_sha256_of_the_task_ids() -> None:
    """The same on any machine: these lists are what sha256 orders, whatever the Python."""
    ids = [f"t{i:03d}" for i in range(10)]
    assert [shard_ids(ids, i, 2) for i in (1, 2)] == [
        ["t001", "t002", "t004", "t006", "t009"],
        ["t000", "t003", "t005", "t007", "t008"],
    ]
    assert [shard_ids(ids, i, 3) for i in (1, 2, 3)] == [
        ["t003", "t006", "t008", "t009"],
        ["t002", "t005", "t007"],
        ["t000", "t001", "t004"],
    ]


def test_the_assignment_does_not_depend_on_pythons_hash_seed() -> None:
    code = (
        "import json; from evalkit.runfile.shards import shard_ids;"
        "ids = [f'k{i}' for i in range(50)];"
        "print(json.dumps([shard_ids(ids, i, 3) for i in (1, 2, 3)]))"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(seen) == 1
    assert sum(len(s) for s in json.loads(seen.pop())) == 50


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", "1/2/3", ""])
def test_a_bad_shard_is_a_config_error_that_names_it(text: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(text)


def test_shards_parse_with_spaces() -> None:
    assert parse_shard(" 2 / 4 ") == (2, 4)


def _manifest(tasks: int, limit: int | None, shard: ShardInfo | None) -> RunManifest:
    return RunManifest(
        run_id="r",
        evalkit_version="0",
        suite=SuiteInfo(name="s", ref="s", fingerprint="f", tasks=tasks),
        profile="p",
        candidates=["m"],
        models={},
        judge=JudgeInfo(name="j"),
        limit=limit,
        shard=shard,
    )


def test_a_shard_plans_only_its_own_tasks_so_the_rest_is_not_missing() -> None:
    """Readers count a shard's keys without a record against its own tasks, not the
    suite's: the other shards' tasks are not NOT RUN."""
    ids = [f"t{i:03d}" for i in range(10)]
    mine = shard_ids(ids[:8], 2, 3)  # --limit 8 --shard 2/3
    manifest = _manifest(10, 8, ShardInfo(index=2, count=3, tasks=len(mine)))
    assert planned_ids(manifest, ids) == mine
    assert planned_tasks(manifest) == len(mine)
    assert planned_ids(_manifest(10, 8, None), ids) == ids[:8]
