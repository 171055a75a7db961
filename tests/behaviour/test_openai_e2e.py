"""`run` and `check` with an OpenAI-compatible endpoint, end to end: the real llama-cpp-
python server (the embedded Gemma 3 270M) answers and judges with the verdict's JSON schema,
and the run file holds the same records and statuses as a run against Ollama; a server busy
past the retries, and one that is not there, are recorded as what they are."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from openai_server import MODEL, FaultProxy, free_port
from projects import REPO, write_suite

from evalkit.cli import main
from evalkit.runfile.reader import read_run
from evalkit.types import Record

CONFIG = """
default_profile = "test"

[endpoints.srv]
kind = "{kind}"
url = "{url}"
concurrency = 1
timeout = 600   # a 900-token verdict took over 120 s on a loaded 2-core machine
retries = {retries}
backoff = 0.05

[models.{model}]
endpoint = "srv"
temperature = 0.0
seed = 1
max_tokens = 24

[models.judge]
endpoint = "srv"
model = "{model}"

[profiles.test]
candidates = ["{model}"]
judge = "j"
"""
JUDGE = 'model = "judge"\ntemperature = 0.0\nmax_tokens = 900\nseed = 7\nretry_invalid = 0\n'
OLLAMA_ONLY = {"load_ms", "prompt_eval_ms", "eval_ms"}
"""Answer fields only Ollama reports."""


def write(root: Path, url: str, kind: str = "openai", retries: int = 2) -> Path:
    """A one-task project whose model and judge live on one endpoint of `kind`."""
    root.mkdir(parents=True, exist_ok=True)
    config = CONFIG.format(kind=kind, url=url, retries=retries, model=MODEL)
    (root / "evalkit.toml").write_text(config)
    (root / "judges").mkdir(exist_ok=True)
    shutil.copy(REPO / "judges" / "rubric-judge.md", root / "judges" / "rubric-judge.md")
    (root / "judges" / "j.toml").write_text(JUDGE)
    write_suite(root, 1)
    return root


def run(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[Record]]:
    monkeypatch.chdir(root)
    code = main(["run", "gen", "--out", str(root / "run.jsonl")])
    return code, list(read_run(root / "run.jsonl").records.values())


def filled(record: Record) -> set[str]:
    """The answer fields a record has values for."""
    assert record.answer is not None
    return {k for k, v in record.answer.model_dump().items() if v is not None}


@pytest.mark.embedded
def test_a_run_against_an_openai_server_records_what_an_ollama_run_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    openai_proxy: Callable[[], FaultProxy],
    ollama: Callable[..., FakeOllama],
) -> None:
    proxy = openai_proxy()
    code, [record] = run(write(tmp_path / "openai", proxy.url), monkeypatch)
    fake = ollama(models=[MODEL])
    ollama_code, [reference] = run(write(tmp_path / "ollama", fake.url, "ollama"), monkeypatch)

    assert code == ollama_code == 0
    assert record.status == reference.status == "ok"
    assert record.key == reference.key and record.verdict is not None
    assert 1 <= record.verdict.score <= 5 and record.verdict.label
    assert filled(record) == filled(reference) - OLLAMA_ONLY
    assert record.judge_answer is not None and record.judge_answer.completion_tokens
    manifest = read_run(tmp_path / "openai" / "run.jsonl").manifest
    assert manifest.models[MODEL].kind == "openai"
    assert manifest.models[MODEL].litellm_model == f"openai/{MODEL}"
    # the server tells no digest: the model string stands for its identity
    assert manifest.models[MODEL].identity_source == "model"
    assert manifest.models[MODEL].identity == f"openai/{MODEL}"
    assert [h.models for h in manifest.health] == [[MODEL]]
    chats = proxy.chats()
    assert [c["body"].get("response_format", {}).get("type") for c in chats] == [
        None,  # the answer
        "json_schema",  # the verdict, refused by this server
        "json_object",  # and at once again in the shape it takes
    ]


def test_a_verdict_cut_short_is_a_judge_error_that_keeps_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_proxy: Callable[[], FaultProxy]
) -> None:
    """8 tokens hold no whole verdict: the real server's reply does not validate, and the
    record says so (judge_error, the reply kept) instead of scoring it; the answer stays,
    so a resume only grades it again."""
    proxy = openai_proxy()
    root = write(tmp_path, proxy.url)
    (root / "judges" / "j.toml").write_text(JUDGE.replace("max_tokens = 900", "max_tokens = 8"))
    code, [record] = run(root, monkeypatch)
    assert code == 3
    assert record.status == "judge_error" and record.verdict is None
    assert record.answer is not None and record.answer.text
    assert record.judge_raw and record.error is not None and record.error.role == "judge"


def test_a_server_busy_past_the_retries_leaves_error_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_proxy: Callable[[], FaultProxy]
) -> None:
    proxy = openai_proxy()
    proxy.faults = [503] * 10
    code, [record] = run(write(tmp_path, proxy.url, retries=1), monkeypatch)
    assert code == 3
    assert record.status == "error" and record.verdict is None and record.answer is None
    assert record.error.status_code == 503 and record.error.attempts == 2
    assert "HTTP 503" in record.error.message and len(proxy.chats()) == 2


def test_a_server_that_is_not_there_leaves_unavailable_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    code, [record] = run(write(tmp_path, url), monkeypatch)
    assert code == 3 and record.status == "unavailable" and record.verdict is None
    assert "endpoint down" in record.error.message


def test_check_reports_the_servers_models(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    openai_proxy: Callable[[], FaultProxy],
) -> None:
    proxy = openai_proxy()
    monkeypatch.chdir(write(tmp_path, proxy.url))
    assert main(["check"]) == 0
    shown = capsys.readouterr().out
    assert "openai" in shown and MODEL in shown and "up" in shown
    assert not proxy.chats()  # a probe, not a request to the model
