"""How far a judge agrees with human experts on the same answers: pure functions over a
run file and a labels file (no model is called; litellm and datasets are never imported).

An item is matched when a label and an `ok` record of the run's judge share (task_id,
candidate). A record that is not ok (judge_error, unavailable, error) is unmatched and
counted by its status: it has no score, and none is invented for it.

A figure that is undefined on the matched items is None, with the reason beside it, never
a stand-in number. Spearman's correlation is undefined when either side gave one score to
every item (or there is one item). Quadratic-weighted kappa is undefined only when there
is no chance disagreement, i.e. both sides gave the same single score throughout; a
judge that gives one score while the humans vary gets kappa 0 (its agreement is what
chance gives), as scikit-learn computes it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, computed_field

from evalkit.analysis.labels import Label, read_labels
from evalkit.analysis.stats import agreement
from evalkit.runfile.reader import RunFile, read_run
from evalkit.types import Record, Schema

SCORES = (1, 2, 3, 4, 5)


class Item(Schema):
    """One answer graded by both the judge and a human."""

    task_id: str
    """The task."""
    candidate: str
    """The candidate whose answer it is."""
    judge_score: int
    """The judge's score."""
    human_score: int
    """The human's score."""
    judge_label: str
    """The judge's label."""
    human_label: str | None
    """The human's label, if given."""
    judge_reasoning: str
    """The judge's reasoning."""
    human_reasoning: str | None
    """The human's reasoning, if given."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def difference(self) -> int:
        """Judge minus human."""
        return self.judge_score - self.human_score


class CriterionAgreement(Schema):
    """Agreement on one rubric criterion of one task, over the answers both sides checked."""

    task_id: str
    """The task."""
    criterion: str
    """The rubric criterion's id."""
    n: int
    """Answers where both the judge and the human said met or not met."""
    agree: int
    """Of those, how many they agreed on."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float:
        """Share agreed."""
        return self.agree / self.n


class Unmatched(Schema):
    """What could not be paired, and why."""

    no_record: int = 0
    """Labels whose answer has no record of this judge in the run."""
    not_ok: dict[str, int] = Field(default_factory=dict)
    """Labels whose record is not ok, by status (judge_error, unavailable, error)."""
    unlabelled: int = 0
    """ok records that no label grades."""


class Calibration(Schema):
    """The agreement of a run's judge with human labels."""

    run: str
    """The run file."""
    labels: str
    """The labels file."""
    judge: str
    """The judge whose records were matched."""
    matched: int
    """Items graded by both."""
    unmatched: Unmatched
    """Items left out, by reason."""
    exact: float | None
    """Share of items with the same score; None with no items."""
    within_one: float | None
    """Share of items within one point."""
    kappa_quadratic: float | None
    """Quadratic-weighted Cohen's kappa over the scores 1..5; None when undefined."""
    kappa_undefined: str | None = None
    """Why kappa is undefined, when it is."""
    spearman: float | None
    """Spearman's rank correlation; None when undefined."""
    spearman_undefined: str | None = None
    """Why Spearman is undefined, when it is."""
    mean_difference: float | None
    """Mean of judge minus human: above 0 a lenient judge, below 0 a harsh one."""
    confusion: list[list[int]]
    """5x5 counts: row = human score 1..5, column = judge score 1..5."""
    criteria: list[CriterionAgreement]
    """Per-criterion agreement, where both sides judged the criterion."""
    criteria_agreement: float | None = None
    """Share of all (answer, criterion) findings agreed on; None when there are none."""
    unknown_criteria: list[str] = Field(default_factory=list)
    """task/criterion ids in the labels that the task's rubric does not have (typos?)."""
    disagreements: list[Item]
    """The items the two disagree on most, largest difference first."""


def calibrate(run: RunFile, labels: list[Label], labels_path: str, top: int = 5) -> Calibration:
    """Match labels to the run's ok records and measure the agreement. A label grades
    one answer per (task, candidate): in a run of several samples, sample 0's."""
    judge = run.manifest.judge.name
    records = {
        (r.task_id, r.candidate): r
        for r in run.records.values()
        if r.judge == judge and r.sample == 0
    }
    items, unmatched = match(records, labels)
    judged = [i.judge_score for i in items]
    human = [i.human_score for i in items]
    figures = agreement(judged, human, SCORES) if items else None
    criteria, unknown = criterion_agreement(records, labels)
    return Calibration(
        run=run.path,
        labels=labels_path,
        judge=judge,
        matched=len(items),
        unmatched=unmatched,
        exact=figures.exact if figures else None,
        within_one=figures.within_one if figures else None,
        kappa_quadratic=figures.kappa_quadratic if figures else None,
        kappa_undefined=_kappa_undefined(judged, human),
        spearman=figures.spearman if figures else None,
        spearman_undefined=_spearman_undefined(judged, human),
        mean_difference=sum(i.difference for i in items) / len(items) if items else None,
        confusion=confusion(human, judged),
        criteria=criteria,
        criteria_agreement=_overall(criteria),
        unknown_criteria=unknown,
        disagreements=most_disagreeing(items, top),
    )


def calibrate_files(run_path: str | Path, labels_path: str | Path, top: int = 5) -> Calibration:
    """Read both files and calibrate."""
    return calibrate(read_run(run_path), read_labels(labels_path), str(labels_path), top)


def match(
    records: dict[tuple[str, str], Record], labels: list[Label]
) -> tuple[list[Item], Unmatched]:
    """Pair each label with its answer's ok record; count the rest by reason."""
    items: list[Item] = []
    unmatched = Unmatched()
    for label in labels:
        record = records.get(label.key)
        if record is None:
            unmatched.no_record += 1
        elif record.status != "ok" or record.verdict is None:
            unmatched.not_ok[record.status] = unmatched.not_ok.get(record.status, 0) + 1
        else:
            items.append(_item(record, label))
    labelled = {label.key for label in labels}
    unmatched.unlabelled = sum(
        1 for key, r in records.items() if r.status == "ok" and key not in labelled
    )
    return items, unmatched


def _item(record: Record, label: Label) -> Item:
    assert record.verdict is not None  # match() pairs ok records only
    return Item(
        task_id=label.task_id,
        candidate=label.candidate,
        judge_score=record.verdict.score,
        human_score=label.score,
        judge_label=record.verdict.label,
        human_label=label.label,
        judge_reasoning=record.verdict.reasoning,
        human_reasoning=label.reasoning,
    )


def confusion(human: list[int], judged: list[int]) -> list[list[int]]:
    """Counts of (human score, judge score), rows human 1..5, columns judge 1..5."""
    matrix = [[0] * len(SCORES) for _ in SCORES]
    for h, j in zip(human, judged, strict=True):
        matrix[h - 1][j - 1] += 1
    return matrix


def criterion_agreement(
    records: dict[tuple[str, str], Record], labels: list[Label]
) -> tuple[list[CriterionAgreement], list[str]]:
    """Agreement per (task, criterion) over ok records whose label checks that criterion,
    and the labels' criterion ids that the verdicts (hence the rubric) do not have."""
    found: dict[tuple[str, str], CriterionAgreement] = {}
    unknown: set[str] = set()
    for label in labels:
        record = records.get(label.key)
        if record is None or record.status != "ok" or record.verdict is None:
            continue
        judged = {c.id: c.met for c in record.verdict.criteria}
        for criterion, met in label.criteria.items():
            if criterion not in judged:
                unknown.add(f"{label.task_id}/{criterion}")
                continue
            line = found.setdefault(
                (label.task_id, criterion),
                CriterionAgreement(task_id=label.task_id, criterion=criterion, n=0, agree=0),
            )
            line.n += 1
            line.agree += judged[criterion] == met
    return list(found.values()), sorted(unknown)


def most_disagreeing(items: list[Item], top: int) -> list[Item]:
    """Up to `top` items the judge and the human scored differently, largest gap first."""
    differing = [i for i in items if i.difference != 0]
    return sorted(differing, key=lambda i: -abs(i.difference))[:top]


def _overall(criteria: list[CriterionAgreement]) -> float | None:
    findings = sum(c.n for c in criteria)
    return sum(c.agree for c in criteria) / findings if findings else None


def _kappa_undefined(judged: list[int], human: list[int]) -> str | None:
    if not judged:
        return "no matched items"
    if len(set(judged) | set(human)) == 1:
        return f"both sides scored every item {judged[0]}: no chance disagreement to compare"
    return None


def _spearman_undefined(judged: list[int], human: list[int]) -> str | None:
    if not judged:
        return "no matched items"
    if len(judged) < 2:
        return "one matched item"
    if len(set(judged)) == 1:
        return f"the judge scored every item {judged[0]}: no ranking to correlate"
    if len(set(human)) == 1:
        return f"the humans scored every item {human[0]}: no ranking to correlate"
    return None
