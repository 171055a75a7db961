"""The cache file: only successes, WAL mode, several processes writing at once, prune and
stats, where the file is, and a file that is not a cache."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalkit.cache import CachedVerdict, CacheStore, cache_path, parse_duration
from evalkit.cli import main
from evalkit.errors import CacheError, ConfigError
from evalkit.types import Answer, CriterionResult, ErrorInfo, Grading, Verdict

REPO = Path(__file__).resolve().parents[2]
VERDICT = Verdict(
    reasoning="r", criteria=[CriterionResult(id="c", met=True)], score=4, label="GOOD"
)


def test_an_answer_and_a_verdict_round_trip_with_the_run_that_stored_them(tmp_path) -> None:
    store = CacheStore(tmp_path / "c.sqlite3")
    store.put_answer("a", Answer(text="hi", latency_ms=5.0), "run-1")
    store.put_verdict("v", CachedVerdict(grading=Grading(verdict=VERDICT)), "run-1")
    assert store.answer("a") == (Answer(text="hi", latency_ms=5.0), "run-1")
    assert store.verdict("v").value.grading.verdict == VERDICT
    assert store.answer("v") is None and store.verdict("a") is None
    store.put_answer("a", Answer(text="again"), "run-2")  # --refresh overwrites
    assert store.answer("a") == (Answer(text="again"), "run-2")


def test_a_grading_without_a_verdict_is_refused(tmp_path) -> None:
    store = CacheStore(tmp_path / "c.sqlite3")
    failed = Grading(error=ErrorInfo(kind="InvalidVerdict", message="no", role="judge"))
    with pytest.raises(ValueError, match="only a grading with a verdict"):
        store.put_verdict("v", CachedVerdict(grading=failed), "run-1")
    assert store.stats().verdicts == 0


def test_the_file_is_in_wal_mode_with_a_busy_timeout(tmp_path) -> None:
    CacheStore(tmp_path / "c.sqlite3").close()
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = """
import sys
from evalkit.cache import CacheStore
from evalkit.types import Answer
store = CacheStore(__import__("pathlib").Path(sys.argv[1]))
for i in range(300):
    store.put_answer(f"{sys.argv[2]}-{i}", Answer(text=str(i)), sys.argv[2])
    assert store.answer(f"{sys.argv[2]}-{i}") is not None
print(store.failures)
"""


def test_four_processes_write_at_once_and_nothing_is_lost(tmp_path) -> None:
    path = tmp_path / "c.sqlite3"
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"p{n}"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outputs = [w.communicate(timeout=120)[0].strip() for w in writers]
    assert [w.returncode for w in writers] == [0] * 4
    assert outputs == ["0"] * 4  # no write failed, none waited past the busy timeout
    stats = CacheStore(path).stats()
    assert (stats.answers, stats.runs) == (1200, 4)


def test_prune_removes_only_what_is_older(tmp_path, monkeypatch) -> None:
    store = CacheStore(tmp_path / "c.sqlite3")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 10 * 86400)
    store.put_answer("old", Answer(text="old"), "run-old")
    store.put_verdict("old", CachedVerdict(grading=Grading(verdict=VERDICT)), "run-old")
    monkeypatch.setattr(time, "time", lambda: now)
    store.put_answer("new", Answer(text="new"), "run-new")
    pruned = store.prune(parse_duration("7d"))
    assert (pruned.answers, pruned.verdicts) == (1, 1)
    assert store.answer("old") is None and store.answer("new") is not None


@pytest.mark.parametrize(
    ("text", "seconds"), [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("2w", 1209600)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_duration_without_a_unit_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match="--older-than '30': expected a number and a unit"):
        parse_duration("30")


def test_a_file_that_is_not_a_cache_is_an_error_naming_it(tmp_path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CacheError, match=f"{path}: cannot open the cache.*--no-cache"):
        CacheStore(path)


def test_where_the_file_is(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EVALKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_path(None, tmp_path) == tmp_path / "xdg" / "evalkit" / "cache.sqlite3"
    assert cache_path("mine.sqlite3", tmp_path / "project") == tmp_path / "project/mine.sqlite3"
    assert cache_path("off", tmp_path) is None
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "env.sqlite3"))  # env beats config
    assert cache_path("mine.sqlite3", tmp_path) == tmp_path / "env.sqlite3"
    monkeypatch.setenv("EVALKIT_CACHE", "off")
    assert cache_path("mine.sqlite3", tmp_path) is None


def test_the_config_key_places_the_cache_beside_the_config(server, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EVALKIT_CACHE")
    text = (tmp_path / "evalkit.toml").read_text()
    (tmp_path / "evalkit.toml").write_text('cache = "state/cache.sqlite3"\n' + text)
    assert main(["run", "gen", "--out", "a.jsonl"]) == 0
    assert CacheStore(tmp_path / "state" / "cache.sqlite3").stats().answers == 6


def test_a_bad_config_key_names_it(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "evalkit.toml").write_text('cache = ""\n')
    monkeypatch.chdir(tmp_path)
    assert main(["cache", "stats"]) == 2
    assert "evalkit.toml: cache: String should have at least 1 character" in capsys.readouterr().err


def test_cache_stats_and_prune_commands(server, cache_file, capsys) -> None:
    assert main(["run", "gen", "--out", "a.jsonl"]) == 0
    capsys.readouterr()
    assert main(["cache", "stats"]) == 0
    shown = capsys.readouterr().out
    assert f"cache:    {cache_file}" in shown
    assert "answers:  6" in shown and "verdicts: 6" in shown and "runs:     1" in shown
    assert main(["cache", "prune", "--older-than", "1h"]) == 0
    assert "removed 0 answer(s) and 0 verdict(s)" in capsys.readouterr().out
    assert main(["cache", "prune", "--older-than", "0s"]) == 0
    assert "removed 6 answer(s) and 6 verdict(s)" in capsys.readouterr().out
