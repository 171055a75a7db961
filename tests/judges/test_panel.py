"""Panels and repeated sampling: how votes combine, and that records keep every vote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from judge_replies import scripted, seed
from projects import is_judge_request, write_project

from evalkit.cli import main
from evalkit.display import console as display
from evalkit.judges.panel import combine_votes, round_half_up
from evalkit.runfile.reader import read_run
from evalkit.types import CriterionResult, ErrorInfo, MemberVerdict, Task, Verdict

TASK = Task(
    id="t",
    prompt="p",
    reference="r",
    rubric=[
        {"id": "core", "criterion": "does the thing", "severity": "fatal"},
        {"id": "style", "criterion": "reads well", "severity": "minor"},
    ],
)


def vote(score: int, label: str = "", core: bool = True, judge: str = "j") -> MemberVerdict:
    criteria = [CriterionResult(id="core", met=core), CriterionResult(id="style", met=True)]
    verdict = Verdict(
        reasoning=f"reasoning {score} {label}",
        criteria=criteria,
        score=score,  # type: ignore[arg-type]
        label=label or f"L{score}",
    )
    return MemberVerdict(judge=judge, verdict=verdict)


def failed(unavailable: bool = False) -> MemberVerdict:
    kind = "EndpointDown" if unavailable else "InvalidVerdict"
    error = ErrorInfo(kind=kind, message="no verdict", role="judge")
    return MemberVerdict(judge="j", error=error, unavailable=unavailable, invalid=not unavailable)


@pytest.mark.parametrize(
    ("combine", "scores", "score", "exact", "disagree"),
    [
        ("median", [2, 4, 5], 4, 4.0, True),
        ("mean", [2, 4, 5], 4, 3.6667, True),
        ("mean", [2, 3], 3, 2.5, False),  # .5 rounds up, unlike round()
        ("median", [2, 3], 3, 2.5, False),
        ("mean", [3, 4, 4], 4, 3.6667, False),
        ("mean", [1, 2, 2], 2, 1.6667, False),
        ("median", [1, 1, 5], 1, 1.0, True),
        ("mean", [1, 1, 5], 2, 2.3333, True),
    ],
)
def test_scores_combine_to_an_int_and_keep_the_exact_value(
    combine: str, scores: list[int], score: int, exact: float, disagree: bool
) -> None:
    grading = combine_votes([vote(s) for s in scores], combine, TASK)  # type: ignore[arg-type]
    assert grading.verdict is not None and grading.spread is not None
    assert grading.verdict.score == score
    assert grading.spread.exact == exact
    assert (grading.spread.min, grading.spread.max) == (min(scores), max(scores))
    assert grading.spread.disagree is disagree
    assert len(grading.members) == len(scores)


def test_round_half_up() -> None:
    assert [round_half_up(x) for x in (1.5, 2.5, 3.49, 3.5, 4.5)] == [2, 3, 3, 4, 5]


def test_label_is_the_majority_in_capitals() -> None:
    votes = [vote(2, "broken"), vote(3, "BROKEN"), vote(5, "CORRECT")]
    grading = combine_votes(votes, "median", TASK)
    assert grading.verdict is not None
    assert grading.verdict.label == "BROKEN"
    assert grading.verdict.reasoning == "reasoning 3 BROKEN"  # the vote that matches both


def test_a_label_tie_goes_to_the_votes_closest_to_the_score() -> None:
    votes = [vote(1, "USELESS"), vote(4, "GOOD"), vote(4, "FINE"), vote(1, "OFF")]
    grading = combine_votes(votes, "mean", TASK)  # mean 2.5 -> 3: GOOD (4) is nearer than 1s
    assert grading.verdict is not None
    assert grading.verdict.label == "GOOD"


def test_criteria_follow_the_majority_and_a_missed_fatal_one_caps_the_score() -> None:
    votes = [vote(2, core=False), vote(2, core=False), vote(5, core=True)]
    grading = combine_votes(votes, "mean", TASK)  # mean 3, but most say core is missed
    assert grading.verdict is not None
    assert {c.id: c.met for c in grading.verdict.criteria} == {"core": False, "style": True}
    assert (grading.verdict.score, grading.verdict.capped_from) == (2, 3)


@pytest.mark.parametrize(
    ("votes", "ok"),
    [
        ([vote(3), vote(4), failed()], True),  # two of three is a majority
        ([vote(3), failed()], False),  # one of two is not
        ([vote(3), failed(), failed()], False),
    ],
)
def test_votes_without_a_verdict_are_not_scores(votes: list[MemberVerdict], ok: bool) -> None:
    grading = combine_votes(votes, "median", TASK)
    assert (grading.verdict is not None) is ok
    assert len(grading.members) == len(votes)
    if ok:
        assert grading.spread is not None and grading.spread.failed == 1
    else:
        assert grading.error is not None and grading.error.kind == "InvalidVerdict"
        assert grading.status == "judge_error" and "no majority" in grading.error.message


def test_no_majority_because_a_judge_was_down_is_unavailable() -> None:
    grading = combine_votes([vote(3), failed(unavailable=True)], "median", TASK)
    assert grading.verdict is None and grading.unavailable


def panel_project(
    root: Path,
    url: str,
    judges: dict[str, str],
    extra_models: list[str],
    max_tokens: dict[str, int] | None = None,
) -> None:
    write_project(root, url, n_tasks=2, candidates=("m1",), max_tokens=max_tokens)
    with (root / "evalkit.toml").open("a") as config:
        for model in extra_models:
            config.write(f'\n[models."{model}"]\nendpoint = "srv"\n')
    for name, text in judges.items():
        (root / "judges" / f"{name}.toml").write_text(text)


def test_a_sampled_judge_records_every_sample_with_its_own_seed(
    tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    scores = {7: 2, 8: 4, 9: 5}
    server = ollama(models=["m1", "judge"], responder=scripted(score=lambda b: scores[seed(b)]))
    sampled = 'model = "judge"\ntemperature = 0.7\nseed = 7\nsamples = 3\n'
    panel_project(tmp_path, server.url, {"sampled": sampled}, [])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(display.console, "width", 160)
    assert main(["run", "gen", "--judge", "sampled", "--out", "run.jsonl"]) == 0
    records = list(read_run("run.jsonl").records.values())
    assert len(records) == 2
    for record in records:
        assert [(m.judge, m.sample, m.verdict.score) for m in record.members] == [
            ("sampled", 0, 2),
            ("sampled", 1, 4),
            ("sampled", 2, 5),
        ]
        assert record.verdict is not None and record.verdict.score == 4
        assert record.spread is not None
        assert (record.spread.min, record.spread.max, record.spread.disagree) == (2, 5, True)
    assert "2-5 (median 4 of 3), split" in capsys.readouterr().out
    manifest = read_run("run.jsonl").manifest
    assert manifest.judge.settings["samples"] == 3
    assert "judge" in manifest.models


def test_a_panel_records_each_members_vote_and_the_mean(
    tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_model = {"judge": 1, "judge-b": 4, "judge-c": 5}
    server = ollama(
        models=["m1", "judge", "judge-b", "judge-c"],
        responder=scripted(score=lambda body: by_model[body["model"]]),
    )
    judges = {
        "low": 'model = "judge"\n',
        "mid": 'model = "judge-b"\n',
        "high": 'model = "judge-c"\n',
        "trio": 'panel = ["low", "mid", "high"]\ncombine = "mean"\n',
    }
    panel_project(tmp_path, server.url, judges, ["judge-b", "judge-c"])
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--judge", "trio", "--out", "run.jsonl"]) == 0
    run = read_run("run.jsonl")
    assert [m.name for m in run.manifest.judge.members] == ["low", "mid", "high"]
    for record in run.records.values():
        assert record.judge == "trio"
        assert [(m.judge, m.verdict.score) for m in record.members] == [
            ("low", 1),
            ("mid", 4),
            ("high", 5),
        ]
        assert record.verdict is not None and record.verdict.score == 3  # mean 3.33
        assert record.spread is not None and record.spread.exact == 3.3333
    line = json.loads(Path("run.jsonl").read_text().splitlines()[1])
    assert len(line["members"]) == 3 and line["spread"]["combine"] == "mean"


def test_every_vote_of_a_panel_is_told_the_answer_was_cut(
    tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ollama(models=["m1", "judge", "judge-b"], responder=scripted(score=4))
    judges = {
        "one": 'model = "judge"\n',
        "many": 'model = "judge-b"\ntemperature = 0.7\nsamples = 2\n',
        "duo": 'panel = ["one", "many"]\n',
    }
    panel_project(tmp_path, server.url, judges, ["judge-b"], max_tokens={"m1": 3})
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--judge", "duo", "--out", "run.jsonl"]) == 0
    assert all(r.answer.truncated for r in read_run("run.jsonl").records.values())
    prompts = [e["body"]["messages"][-1]["content"] for e in server.requests if is_judge_request(e)]
    assert len(prompts) == 2 * 3  # two tasks, three votes each
    note = "Note from evalkit (not part of the answer): The answer was cut off at the model's"
    assert all(note in " ".join(prompt.split()) for prompt in prompts)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('model = "judge"\npanel = ["a", "b"]\n', "either model"),
        ('description = "nothing"\n', "either model"),
        ('panel = ["j", "j"]\ntemperature = 0.5\n', "temperature: a panel has no model"),
        ('panel = ["j"]\n', "at least 2"),
        ('model = "judge"\nsamples = 3\n', "temperature 0 would draw one verdict"),
        ('model = "judge"\ncombine = "mode"\n', "combine"),
        ('panel = ["self", "j"]\n', "includes itself"),
    ],
)
def test_bad_judge_files_are_config_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    text: str,
    message: str,
) -> None:
    write_project(tmp_path, "http://127.0.0.1:9", n_tasks=1)
    (tmp_path / "judges" / "self.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--judge", "self"]) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")
