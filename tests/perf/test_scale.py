"""The scale features the benchmarks rely on, as quick tests in the default run: suites
streamed from a spool, group commit, replicas, candidate lanes, and litellm's per-call
work switched off."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import task_row, write_project, write_suite

import evalkit.runfile.writer as results
import evalkit.suites.loader as suites
from evalkit.cli import main
from evalkit.config import Loaded, apply_endpoint_overrides, load_config, resolve_endpoint
from evalkit.errors import ConfigError, SuiteError
from evalkit.runfile.reader import read_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import Answer, JudgeInfo, Record, RunManifest, SuiteInfo


@pytest.fixture
def small_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """Suites past 10 tasks stream, so a test suite of 30 takes the large-suite path."""
    monkeypatch.setattr(suites, "HELD_TASKS", 10)


def test_large_suite_streams_from_a_spool_with_the_same_fingerprint(
    tmp_path: Path, small_held: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_suite(tmp_path, 30)
    suite = suites.load_suite("gen", tmp_path)
    assert isinstance(suite.tasks, suites.TaskStream)
    assert len(suite.tasks) == suite.info.tasks == 30
    assert [t.id for t in suite.tasks] == [f"t{i:03d}" for i in range(30)]
    assert [t.id for t in suite.tasks] == [t.id for t in suite.tasks]  # passes repeat
    assert [t.id for t in suite.tasks[:3]] == ["t000", "t001", "t002"]
    assert suite.tasks[-1].id == "t029" and len(suite.tasks[:5]) == 5
    monkeypatch.setattr(suites, "HELD_TASKS", 1000)
    held = suites.load_suite("gen", tmp_path)
    assert isinstance(held.tasks, list)
    assert held.info.fingerprint == suite.info.fingerprint == suites.fingerprint(suite.tasks)


def test_large_suite_errors_still_name_the_row(tmp_path: Path, small_held: None) -> None:
    folder = write_suite(tmp_path, 30)
    rows = [task_row(i) for i in range(30)]
    rows[17]["rubric"] = []
    (folder / "data" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(SuiteError, match=r"row 18.*rubric"):
        suites.load_suite("gen", tmp_path)


def test_the_spool_reader_reports_its_suite_error(tmp_path: Path, small_held: None) -> None:
    write_suite(tmp_path, 30)
    with pytest.raises(SuiteError, match="choose a split"):
        suites.load_suite("gen", tmp_path, split="validation")


def _manifest() -> RunManifest:
    suite = SuiteInfo(name="s", ref="s", fingerprint="f", tasks=1)
    return RunManifest(
        run_id="r",
        evalkit_version="0",
        suite=suite,
        profile="p",
        candidates=["m"],
        models={},
        judge=JudgeInfo(name="j"),
    )


def _record(index: int) -> Record:
    return Record(
        task_id=f"t{index}", candidate="m", judge="j", status="ok", answer=Answer(text="a")
    )


def test_appends_share_fsyncs_and_return_only_once_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.jsonl"
    synced: list[bytes] = []
    real_fsync = results.os.fsync

    def slow_fsync(fd: int) -> None:
        on_disk = path.read_bytes()  # what this fsync covers: written before it began
        time.sleep(0.01)
        real_fsync(fd)
        synced.append(on_disk)

    monkeypatch.setattr(results.os, "fsync", slow_fsync)
    acknowledged: list[int] = []

    async def one(writer: RunWriter, index: int) -> None:
        await writer.append(_record(index))
        assert any(f'"task_id":"t{index}"'.encode() in done for done in synced)
        acknowledged.append(index)

    async def run() -> None:
        with RunWriter(path, _manifest()) as writer:
            await asyncio.gather(*(one(writer, i) for i in range(50)))

    asyncio.run(run())
    assert sorted(acknowledged) == list(range(50))
    assert 2 <= len(synced) < 20  # the manifest's, then groups: not one per record
    assert len(read_run(path).records) == 50


def test_close_makes_every_appended_line_durable(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"

    async def run() -> None:
        writer = RunWriter(path, _manifest())
        waiting = asyncio.ensure_future(writer.append(_record(1)))
        await asyncio.sleep(0)  # queued, its commit not yet run
        writer.close()
        await asyncio.gather(waiting, return_exceptions=True)

    asyncio.run(run())
    assert list(read_run(path).records) == [("t1", "m", "j")]


def _config(tmp_path: Path, body: str) -> Loaded:
    (tmp_path / "evalkit.toml").write_text(body)
    return load_config(str(tmp_path / "evalkit.toml"))


@pytest.mark.parametrize(
    ("endpoint", "error"),
    [
        ('url = "http://a"\nreplicas = ["http://b"]', "not both"),
        ("concurrency = 2", "needs a url"),
    ],
    ids=["url-and-replicas", "neither"],
)
def test_replicas_or_url_is_required(tmp_path: Path, endpoint: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        _config(tmp_path, f'[endpoints.e]\nkind = "ollama"\n{endpoint}\n')


def test_replicas_resolve_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_B", "http://b:11434/")
    loaded = _config(
        tmp_path, '[endpoints.e]\nkind = "ollama"\nreplicas = ["http://a:11434", "${POD_B}"]\n'
    )
    endpoint = resolve_endpoint(loaded, "e")
    assert endpoint.replicas == ["http://a:11434", "http://b:11434"]
    assert endpoint.url == "http://a:11434"  # what probes check and the manifest shows
    overridden = apply_endpoint_overrides(loaded, ["e=http://c,http://d"])
    assert overridden.config.endpoints["e"].replicas == ["http://c", "http://d"]
    single = apply_endpoint_overrides(loaded, ["e=http://c"]).config.endpoints["e"]
    assert single.url == "http://c" and single.replicas == []


def _replicated_project(root: Path, first: FakeOllama, second: FakeOllama) -> None:
    write_project(root, first.url, n_tasks=12, candidates=("m1",), concurrency=2)
    config = (root / "evalkit.toml").read_text()
    urls = json.dumps([first.url, second.url])
    (root / "evalkit.toml").write_text(config.replace(f'url = "{first.url}"', f"replicas = {urls}"))


def test_replicas_share_the_load_within_their_slots(
    tmp_path: Path, ollama: Callable[..., FakeOllama], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (ollama(models=["m1", "judge"], latency=0.05, parallel=4) for _ in range(2))
    _replicated_project(tmp_path, first, second)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", str(tmp_path / "run.jsonl")]) == 0
    assert all(r.status == "ok" for r in read_run(tmp_path / "run.jsonl").records.values())
    chats = [server.count(path="/api/chat") for server in (first, second)]
    assert sum(chats) == 24 and min(chats) >= 6  # both used, neither starved
    assert first.max_active <= 2 and second.max_active <= 2  # concurrency is per replica


@pytest.mark.parametrize("down", ["first", "second"])
def test_a_replica_down_at_the_start_is_left_out_and_the_other_serves(
    tmp_path: Path,
    ollama: Callable[..., FakeOllama],
    monkeypatch: pytest.MonkeyPatch,
    down: str,
) -> None:
    """A stopped pod (404 HTML) among the replicas: every record ok through the other, the
    stopped one never sent a chat, and the manifest holds a health line for each."""
    stopped = ollama(models=["m1", "judge"], down_404_html=True)
    serving = ollama(models=["m1", "judge"], latency=0.01, parallel=4)
    first, second = (stopped, serving) if down == "first" else (serving, stopped)
    _replicated_project(tmp_path, first, second)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", str(tmp_path / "run.jsonl")]) == 0
    run = read_run(tmp_path / "run.jsonl")
    assert all(r.status == "ok" for r in run.records.values())
    assert stopped.count(path="/api/chat") == 0 and serving.count(path="/api/chat") == 24
    health = {h.url: h.reachable for h in run.manifest.health}
    assert health == {stopped.url: False, serving.url: True}


def test_a_replica_without_a_needed_model_is_left_out(
    tmp_path: Path, ollama: Callable[..., FakeOllama], monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = ollama(models=["judge"])  # m1 not pulled here
    full = ollama(models=["m1", "judge"], latency=0.01, parallel=4)
    _replicated_project(tmp_path, bare, full)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", str(tmp_path / "run.jsonl")]) == 0
    assert bare.count(path="/api/chat") == 0 and full.count(path="/api/chat") == 24


def test_every_replica_down_is_the_endpoint_down(
    tmp_path: Path, ollama: Callable[..., FakeOllama], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (ollama(models=["m1", "judge"], down_404_html=True) for _ in range(2))
    _replicated_project(tmp_path, first, second)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", str(tmp_path / "run.jsonl")]) == 3
    records = read_run(tmp_path / "run.jsonl").records.values()
    assert {r.status for r in records} == {"unavailable"}
    assert first.count(path="/api/chat") + second.count(path="/api/chat") == 0


def test_a_slow_candidate_does_not_hold_back_a_fast_one(
    tmp_path: Path, ollama: Callable[..., FakeOllama], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = ollama(models=["slow"], latency=0.3, parallel=1)
    fast = ollama(models=["fast", "judge"], latency=0.01, parallel=4)
    write_project(tmp_path, fast.url, n_tasks=8, candidates=("slow", "fast"), concurrency=4)
    config = (tmp_path / "evalkit.toml").read_text()
    config += f'\n[endpoints.slowsrv]\nkind = "ollama"\nurl = "{slow.url}"\nconcurrency = 1\n'
    config = config.replace(
        '[models."slow"]\nendpoint = "srv"', '[models."slow"]\nendpoint = "slowsrv"'
    )
    (tmp_path / "evalkit.toml").write_text(config)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", str(tmp_path / "run.jsonl")]) == 0
    lines = (tmp_path / "run.jsonl").read_text().splitlines()[1:]  # after the manifest
    order = [json.loads(line)["candidate"] for line in lines]
    assert order[:8] == ["fast"] * 8, order  # every fast key before the slow ones finish


def test_litellm_per_call_work_is_switched_off() -> None:
    from evalkit.endpoints.litellm_tuning import applied
    from evalkit.endpoints.pool import import_litellm

    litellm = import_litellm()
    assert set(applied()) == {
        "disable_token_counter",
        "response_cost_calculator",
        "_schedule_async_success_logging",
    }, "a litellm upgrade moved what evalkit switches off: see evalkit/litellm_tuning.py"
    assert litellm.disable_token_counter


def test_a_failing_replica_is_left_out_while_it_cools_down() -> None:
    import httpx

    from evalkit.endpoints.replicas import Replicas

    replicas = Replicas(["http://a", "http://b"])
    with pytest.raises(httpx.ConnectError), replicas.pick() as url:
        assert url == "http://a"
        raise httpx.ConnectError("refused")
    with replicas.pick() as first, replicas.pick() as second:
        assert first == second == "http://b"  # a cools down, even though b is busier
    assert replicas.in_flight == [0, 0] and replicas.sent == [1, 2]
