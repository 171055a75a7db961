"""A verdict from a Python judge plugin passes the same checks as a model's reply before
it reaches a record: criteria ids that do not answer the rubric, an id twice, a field of
the wrong type, a `capped_from` evalkit did not set, all make the record `judge_error` with
the reason; a missed fatal criterion caps the score. A plugin that reports an invalid reply
(`Grading.invalid`) is `judge_error` whatever its error's kind; one that reports nothing is
`judge_error` too, never a record without a reason. In a panel, such a vote is a failed
vote, not a score."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from judge_replies import scripted
from projects import write_project

from evalkit.cli import main
from evalkit.runfile.reader import read_run

PLUGIN = '''
"""Judges that break the verdict contract, one way each, chosen by the name asked for."""

from evalkit.types import CriterionResult, ErrorInfo, Grading, JudgeInfo, Verdict


def findings(task, met=True):
    return [CriterionResult(id=c.id, met=met, note="rule") for c in task.rubric]


def made(task, **fields):
    values = dict(reasoning="rule", criteria=findings(task), score=5, label="CORRECT")
    return Verdict(**{**values, **fields})


def constructed(task, **fields):
    """A Verdict that skipped validation, as model_construct or a changed field gives."""
    values = dict(reasoning="rule", criteria=findings(task), issues=[], score=5, label="X")
    return Verdict.model_construct(**{**values, **fields})


GRADES = {
    "unknown-id": lambda t: Grading(verdict=made(t, criteria=[
        *findings(t)[:1], CriterionResult(id="made-up", met=True)])),
    "repeated-id": lambda t: Grading(verdict=made(t, criteria=[
        findings(t)[0], findings(t)[0], *findings(t)[1:]])),
    "missed-fatal": lambda t: Grading(verdict=made(t, criteria=findings(t, met=False))),
    "score-true": lambda t: Grading(verdict=constructed(t, score=True)),
    "score-float": lambda t: Grading(verdict=made(t, score=5.0)),
    "met-string": lambda t: Grading(verdict=constructed(t, criteria=[
        CriterionResult.model_construct(id=c.id, met="yes", note="") for c in t.rubric])),
    "own-capped-from": lambda t: Grading(verdict=made(t, capped_from=4)),
    "nothing": lambda t: Grading(),
    "invalid-own-kind": lambda t: Grading(
        error=ErrorInfo(kind="ParseFailure", message="no JSON", role="judge"), invalid=True),
    "failed-call": lambda t: Grading(
        error=ErrorInfo(kind="Timeout", message="slow", role="judge")),
}


class RuleBreaker:
    def __init__(self, context):
        self.name = context.name

    def info(self):
        return JudgeInfo(name=self.name, kind="rule-breaker")

    def endpoints(self):
        return []

    async def grade(self, task, answer):
        return GRADES[self.name](task)
'''
NAMES = [
    "unknown-id",
    "repeated-id",
    "missed-fatal",
    "score-true",
    "score-float",
    "met-string",
    "own-capped-from",
    "nothing",
    "invalid-own-kind",
    "failed-call",
]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the plugin module and the dist-info that registers its entry
    points, as pip would leave them: on sys.path, importlib.metadata finds them."""
    site = tmp_path_factory.mktemp("site")
    (site / "evalkit_rule_breakers.py").write_text(PLUGIN)
    dist = site / "evalkit_rule_breakers-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evalkit-rule-breakers\n")
    points = "".join(f"{name} = evalkit_rule_breakers:RuleBreaker\n" for name in NAMES)
    (dist / "entry_points.txt").write_text(f"[evalkit.judges]\n{points}")
    return site


@pytest.fixture
def project(
    plugin_site: Path, tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(plugin_site))
    server = ollama(models=["m1", "judge"], responder=scripted(score=4))
    write_project(tmp_path, server.url, n_tasks=1, candidates=("m1",))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def graded_by(judge: str) -> tuple[int, object]:
    code = main(["run", "gen", "--judge", judge, "--out", "run.jsonl"])
    [record] = read_run("run.jsonl").records.values()
    return code, record


@pytest.mark.parametrize(
    ("judge", "reason"),
    [
        ("unknown-id", "missing ['brief'], extra ['made-up']"),
        ("repeated-id", "extra ['explains']"),
        ("score-true", "score:"),
        ("score-float", "score:"),
        ("met-string", "criteria.0.met:"),
        ("own-capped-from", "capped_from"),
        ("nothing", "neither a verdict nor an error"),
    ],
)
def test_a_plugin_verdict_that_fails_validation_is_judge_error(
    project: Path, judge: str, reason: str
) -> None:
    code, record = graded_by(judge)
    assert code == 3
    assert (record.status, record.verdict) == ("judge_error", None)
    assert record.error.kind == "InvalidVerdict" and record.error.role == "judge"
    assert reason in record.error.message


def test_a_plugin_verdict_missing_a_fatal_criterion_is_capped(project: Path) -> None:
    code, record = graded_by("missed-fatal")
    assert code == 0
    assert (record.status, record.verdict.score, record.verdict.capped_from) == ("ok", 2, 5)


@pytest.mark.parametrize(
    ("judge", "status", "kind"),
    [("invalid-own-kind", "judge_error", "ParseFailure"), ("failed-call", "error", "Timeout")],
)
def test_status_follows_what_the_grading_says_not_its_error_kind(
    project: Path, judge: str, status: str, kind: str
) -> None:
    code, record = graded_by(judge)
    assert code == 3
    assert (record.status, record.error.kind) == (status, kind)


def test_a_panel_never_counts_a_plugin_vote_that_fails_validation(project: Path) -> None:
    (project / "judges" / "p.toml").write_text('panel = ["j", "j", "unknown-id"]\n')
    code, record = graded_by("p")
    assert code == 0
    assert (record.status, record.verdict.score) == ("ok", 4)
    assert (record.spread.votes, record.spread.failed) == (2, 1)
    [bad] = [m for m in record.members if m.judge == "unknown-id"]
    assert bad.verdict is None and "extra ['made-up']" in bad.error.message
