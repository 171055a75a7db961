"""`run` warns before fan-out when its judge is one of the candidates or of their family
(the server's `details.family` where it reports one, else the name before the tag), and
records it in the manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
from judge_replies import scripted
from projects import write_project

from evalkit.cli import main
from evalkit.run.families import model_families, name_family
from evalkit.runfile.reader import read_run
from evalkit.types import EndpointHealth, ModelInfo

WARNING = "judges tend to favour their own model's and family's answers"


@pytest.mark.parametrize(
    ("candidates", "judge", "families", "shared"),
    [
        (("gemma3:1b", "qwen2:7b"), "gemma3:27b", {}, {"gemma3:1b": "family gemma3"}),
        (("m1", "m2"), "m2", {}, {"m2": "the judge's model m2"}),
        (("m1", "m2"), "big-judge", {"m1": "llama", "big-judge": "llama"}, {"m1": "family llama"}),
        (("gemma3:1b",), "qwen2:7b", {}, {}),
    ],
    ids=["same-family-by-name", "judge-is-a-candidate", "same-family-by-server", "none"],
)
def test_run_warns_and_records_a_judge_of_its_candidates_family(
    tmp_path: Path, ollama, monkeypatch, capsys, candidates, judge, families, shared
) -> None:
    models = list(dict.fromkeys([*candidates, judge]))
    server = ollama(models=models, responder=scripted(score=3), families=families)
    own = judge in candidates  # the config holds the model once: the judge file names it
    slot = "spare" if own else judge
    write_project(tmp_path, server.url, n_tasks=1, candidates=candidates, judge_model=slot)
    if own:
        (tmp_path / "judges" / "j.toml").write_text(f'model = "{judge}"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    recorded = read_run("run.jsonl").manifest.families
    assert set(recorded.shared) == set(shared)
    for candidate, why in shared.items():
        assert why in recorded.shared[candidate]
        assert f"warning: candidate {candidate} " in err and WARNING in err
    if not shared:
        assert WARNING not in err
    assert set(recorded.reported) == set(models)  # the fake server reports every family


def test_a_family_comes_from_the_server_else_from_the_name() -> None:
    info = ModelInfo(name="judge", endpoint="pod", kind="ollama", litellm_model="ollama_chat/x:7b")
    up = EndpointHealth(endpoint="pod", kind="ollama", url="u", reachable=True)
    told = up.model_copy(update={"families": {"x:7b": "Qwen2"}})
    found = model_families(["c:1b"], ["judge"], {"judge": info}, [told])
    assert (found.families, found.reported) == ({"c:1b": "c", "judge": "qwen2"}, ["judge"])
    assert model_families(["x:1b"], ["judge"], {"judge": info}, [up]).shared == {
        "x:1b": "is of the judge's family x (judge)"
    }
    assert name_family("hf.co/org/Qwen2.5-7B-Instruct:Q4_K_M") == "qwen2.5-7b-instruct"


def test_the_shipped_poll_panel_grades_with_three_families_and_is_warned_about(
    project: Path, ollama, capsys
) -> None:
    """judges/poll.toml on the big-brain profile, its pod pointed at a loopback server: three
    judges of three families vote; its gemma3 member shares the candidates' family."""
    models = ["gemma3:1b", "gemma3:27b", "gemma3:12b", "qwen2.5:7b", "llama3.1:8b"]
    families = {"qwen2.5:7b": "qwen2", "llama3.1:8b": "llama"}  # as Ollama reports them
    server = ollama(models=models, responder=scripted(score=3), families=families)
    overrides = ["--endpoint", f"local={server.url}", "--endpoint", f"big-brain={server.url}"]
    args = ["run", "big-brain", "--profile", "big-brain", "--judge", "poll", "--limit", "1"]
    assert main([*args, *overrides, "--out", "poll.jsonl"]) == 0
    run = read_run("poll.jsonl")
    assert {m.judge for r in run.records.values() for m in r.members} == {
        "pod-gemma3-12b",
        "pod-qwen2.5-7b",
        "pod-llama3.1-8b",
    }
    found = run.manifest.families
    assert {found.families[m] for m in found.judge} == {"gemma3", "qwen2", "llama"}
    assert set(found.shared) == {"gemma3:1b", "gemma3:27b"}
    assert "is of the judge's family gemma3 (gemma3:12b)" in " ".join(
        capsys.readouterr().err.split()
    )


def test_a_regrade_records_its_own_judges_family(
    tmp_path: Path, ollama, capsys, monkeypatch
) -> None:
    """The child of `judge` names the new judge's family, not the parent's judge's."""
    server = ollama(models=["gemma3:1b", "qwen2:7b", "gemma3:27b"], responder=scripted(score=3))
    write_project(
        tmp_path, server.url, n_tasks=1, candidates=("gemma3:1b",), judge_model="qwen2:7b"
    )
    with (tmp_path / "evalkit.toml").open("a") as config:
        config.write('\n[models."gemma3:27b"]\nendpoint = "srv"\n')
    (tmp_path / "judges" / "big.toml").write_text('model = "gemma3:27b"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == 0
    assert read_run("run.jsonl").manifest.families.shared == {}
    capsys.readouterr()
    assert main(["judge", "run.jsonl", "--judge", "big", "--out", "child.jsonl"]) == 0
    assert set(read_run("child.jsonl").manifest.families.shared) == {"gemma3:1b"}
    assert WARNING in " ".join(capsys.readouterr().err.split())
