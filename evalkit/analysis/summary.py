"""The end-of-run summary, read from the run file as a stream: per-candidate counts by
status, mean score and latency, and the first records in full for the table.

Only `ok` records have scores; the others are counted by status, never averaged in. A run
of several samples (`run --samples K`) also gets per task the mean and spread of each
candidate's samples, and per candidate pass^k and pass@k (analysis.samples).
Answers cut at max_tokens or empty are counted per candidate (analysis.incomplete), and so
are check results (passed, failed, not run) and check-vs-judge disagreements. The
file is read a line at a time and only a few numbers are kept per key, so the summary of
a 100,000-record run holds about 20 MB where reading every record whole took 600 MB.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from statistics import mean
from typing import Literal, get_args

from pydantic import Field

from evalkit.analysis.checks import CheckCounts
from evalkit.analysis.incomplete import Incomplete, max_tokens_of
from evalkit.analysis.samples import SampleStats, sample_stats, threshold_of
from evalkit.runfile.coverage import not_run, resume_command
from evalkit.runfile.reader import RunLines
from evalkit.types import Answer, Record, RecordKey, RunManifest, Schema, Status


class CandidateSummary(Schema):
    """One candidate's line in the summary."""

    candidate: str
    """The candidate's name."""
    records: int
    """Records in the run file for it."""
    by_status: dict[str, int] = Field(default_factory=dict)
    """Counts of ok, unavailable, error, judge_error."""
    mean_score: float | None = None
    """Mean score over ok records; null when none is ok."""
    mean_latency_ms: float | None = None
    """Mean answer latency over records with an answer."""
    total_latency_ms: float = 0.0
    """Sum of answer latencies."""
    reasons: list[str] = Field(default_factory=list)
    """Distinct reasons of records that are not ok (the first five)."""
    not_run: int = 0
    """Tasks the run planned for the candidate that have no record (it stopped before
    them); never counted in `records`."""
    incomplete: Incomplete | None = None
    """Its answers cut at max_tokens or empty; None when every answer is whole."""
    checks: CheckCounts = Field(default_factory=CheckCounts)
    """Check results over its latest records, and disagreements with the judge; all zero
    when the suite has no checks."""


class ModelUsage(Schema):
    """One model's work in one role over a run's latest records: its time and speed."""

    model: str
    """The model's name in the config."""
    role: Literal["candidate", "judge"]
    """Answering tasks, or grading answers."""
    calls: int
    """Answers (or verdicts) that report tokens."""
    seconds: float
    """Their latencies added up."""
    tokens: int
    """Tokens they generated."""
    tokens_per_s: float | None
    """Generation speed: tokens over generation time (the server's eval time where it
    reports one, as Ollama and the embedded models do; else the whole latency)."""


class RunSummary(Schema):
    """What the end of a run shows."""

    path: str
    """The run file."""
    manifest: RunManifest
    """Its line 1."""
    records: int
    """Keys in the file: the latest record of each counts once."""
    all_ok: bool
    """True when every latest record is ok."""
    voted: bool
    """True when some latest record holds a panel's or sampled judge's votes."""
    first: list[Record]
    """The latest records of the first keys in the file, in full, for the table."""
    candidates: list[CandidateSummary]
    """Per candidate, in the manifest's order, then any other candidate seen."""
    resume: str = ""
    """The command that finishes the run file (its records not ok, its keys not run)."""
    samples: SampleStats | None = None
    """With several samples per task (`run --samples K`): per task their mean and spread,
    per candidate pass^k and pass@k, from the manifest judge's records; None otherwise."""
    judges_checks: dict[str, CheckCounts] = Field(default_factory=dict)
    """Per judge, the check results of the records it graded and how often they
    contradicted it; empty when no record carries checks."""
    usage: list[ModelUsage] = Field(default_factory=list)
    """Per model and role: the candidates, then the judge's model (a single judge's)."""
    cached_answers: int = 0
    """Keys whose answer came from the cache across runs (the candidate was not asked)."""
    cached_verdicts: int = 0
    """Keys whose verdict came from the cache across runs (the judge was not asked)."""

    @property
    def not_run(self) -> int:
        """Planned keys with no record in the file."""
        return sum(line.not_run for line in self.candidates)

    @property
    def checked(self) -> bool:
        """True when some latest record carries check results."""
        return any(line.checks.records for line in self.candidates)


STATUSES: tuple[Status, ...] = get_args(Status)
"""The statuses in their order as codes: 0 is ok."""
CUT, EMPTY = 1, 2
"""Bits of `_Tally.incomplete`: the answer was cut at max_tokens; it is empty."""
CHECK_COLUMNS = ("passed", "failed", "not_run", "disagreements")
"""`_Tally.checks`' columns, named as CheckCounts' fields."""
FROM_CACHE = {"cached_answer_from": 1, "cached_verdict_from": 2}
"""Bits of `_Tally.cached`: the answer, the verdict came from the cache across runs."""


class _Tally:
    """One (candidate, judge)'s latest record of each task, as columns: about 190 bytes a
    task (a tuple of fields per task took 340, which broke the flat-memory target at
    100,000 tasks, measured)."""

    def __init__(self) -> None:
        self.rows: dict[str | tuple[str, int], int] = {}
        """Key -> its row in the columns: the task id for sample 0 (no tuple to hold in
        the usual run of one sample), else (task id, sample)."""
        self.status = array("B")
        """Index into STATUSES."""
        self.score = array("B")
        """The score when ok, else 0."""
        self.latency = array("d")
        """The answer's latency, or 0.0 when there is none."""
        self.incomplete = array("B")
        """CUT and EMPTY bits of the answer, 0 for a whole answer or none."""
        self.cached = array("B")
        """FROM_CACHE bits: what of the record came from the cache across runs."""
        self.reasons: dict[int, str] = {}
        """Row -> why that record is not ok (only rows that have a reason)."""
        self.voted: set[int] = set()
        """Rows whose verdict holds a panel's or sampled judge's votes."""
        self.checks = [array("H") for _ in CHECK_COLUMNS]
        """Per row: check results passed, failed, not run, and disagreements (zeros for a
        record without checks): 8 bytes a task."""
        self.work = {role: (array("L"), array("d"), array("d")) for role in ("answer", "judge")}
        """Per role: tokens generated, latency and generation time of the row's call."""

    def put(self, record: Record) -> None:
        """Record a line; a later line of the same task replaces its row."""
        ok = record.status == "ok" and record.verdict is not None
        key = (record.task_id, record.sample) if record.sample else record.task_id
        row = self.rows.setdefault(key, len(self.rows))
        answer = record.answer
        values = (
            STATUSES.index(record.status),
            record.verdict.score if ok and record.verdict else 0,
            (answer.latency_ms or 0.0) if answer else 0.0,
            (CUT * answer.truncated | EMPTY * answer.empty) if answer else 0,
            sum(bit for name, bit in FROM_CACHE.items() if getattr(record, name)),
        )
        values += _check_values(record)
        columns = (
            self.status,
            self.score,
            self.latency,
            self.incomplete,
            self.cached,
            *self.checks,
        )
        if row == len(self.status):
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        else:
            for column, value in zip(columns, values, strict=True):
                column[row] = value
        cached = (record.cached_answer_from, record.cached_verdict_from)
        for role, call, from_cache in zip(
            ("answer", "judge"), (answer, record.judge_answer), cached, strict=True
        ):  # a call the cache answered took no model time in this run: not counted
            for column, value in zip(
                self.work[role], _work(None if from_cache else call), strict=True
            ):
                if row == len(column):
                    column.append(value)
                else:
                    column[row] = value
        self.reasons.pop(row, None)
        if record.error is not None:
            self.reasons[row] = record.error.message
        if record.members:
            self.voted.add(row)
        else:
            self.voted.discard(row)

    def check_counts(self) -> CheckCounts:
        """The check columns summed over the rows."""
        sums = {name: sum(column) for name, column in zip(CHECK_COLUMNS, self.checks, strict=True)}
        records = sum(any(column[row] for column in self.checks[:3]) for row in self.rows.values())
        return CheckCounts(records=records, **sums)


def _check_values(record: Record) -> tuple[int, int, int, int]:
    """A record's check results counted as `CHECK_COLUMNS`."""
    if not record.checks:
        return (0, 0, 0, 0)
    passed = sum(result.passed is True for result in record.checks)
    failed = sum(result.passed is False for result in record.checks)
    not_run = len(record.checks) - passed - failed
    return (passed, failed, not_run, len(record.disagreements))


def _work(answer: Answer | None) -> tuple[int, float, float]:
    """A call's tokens, latency and generation time; zeros when it reports no tokens."""
    if answer is None or not answer.completion_tokens or not answer.latency_ms:
        return 0, 0.0, 0.0
    return answer.completion_tokens, answer.latency_ms, answer.eval_ms or answer.latency_ms


def _usage(model: str, role: Literal["candidate", "judge"], tallies: list[_Tally]) -> ModelUsage:
    work = [t.work["answer" if role == "candidate" else "judge"] for t in tallies]
    tokens = sum(sum(w[0]) for w in work)
    generation_s = sum(sum(w[2]) for w in work) / 1000
    return ModelUsage(
        model=model,
        role=role,
        calls=sum(1 for w in work for n in w[0] if n),
        seconds=round(sum(sum(w[1]) for w in work) / 1000, 2),
        tokens=tokens,
        tokens_per_s=round(tokens / generation_s, 1) if generation_s else None,
    )


def summarize_file(path: str | Path, first: int = 50) -> RunSummary:
    """Stream the run file once; keep `first` records whole and a _Tally row a key."""
    lines = RunLines(Path(path), Record)
    tallies: dict[tuple[str, str], _Tally] = {}
    kept: dict[RecordKey, Record] = {}
    for record in lines:
        key = record.key
        if key in kept or len(kept) < first:
            kept[key] = record
        tallies.setdefault((record.candidate, record.judge), _Tally()).put(record)
    grouped: dict[str, list[_Tally]] = {c: [] for c in lines.manifest.candidates}
    for (candidate, _), tally in tallies.items():
        grouped.setdefault(candidate, []).append(tally)
    every = list(tallies.values())
    missing = not_run(lines.manifest, {c: _tasks(parts) for c, parts in grouped.items()})
    usage = [_usage(c, "candidate", parts) for c, parts in grouped.items() if parts]
    judge_model = lines.manifest.judge.model
    if judge_model and every:
        usage.append(_usage(judge_model, "judge", every))
    return RunSummary(
        path=str(path),
        manifest=lines.manifest,
        records=sum(len(t.rows) for t in every),
        all_ok=all(code == 0 for t in every for code in t.status),
        voted=any(t.voted for t in every),
        first=list(kept.values()),
        candidates=[
            _one(
                candidate,
                parts,
                missing.get(candidate, 0),
                max_tokens_of(lines.manifest, candidate),
            )
            for candidate, parts in grouped.items()
        ],
        resume=resume_command(lines.manifest, path),
        samples=_samples(lines.manifest, tallies) if lines.manifest.samples > 1 else None,
        judges_checks=_by_judge(tallies),
        usage=[u for u in usage if u.calls],
        cached_answers=sum(bool(bits & 1) for t in every for bits in t.cached),
        cached_verdicts=sum(bool(bits & 2) for t in every for bits in t.cached),
    )


def _samples(manifest: RunManifest, tallies: dict[tuple[str, str], _Tally]) -> SampleStats:
    """Sample statistics of the manifest judge's tallies."""
    scores: dict[str, dict[str, list[int | None]]] = {}
    for (candidate, judge), tally in tallies.items():
        if judge != manifest.judge.name:
            continue
        per_task: dict[str, dict[int, int | None]] = {}
        for key, row in tally.rows.items():
            task_id, sample = key if isinstance(key, tuple) else (key, 0)
            per_task.setdefault(task_id, {})[sample] = tally.score[row] or None
        scores[candidate] = {t: [s[i] for i in sorted(s)] for t, s in per_task.items()}
    return sample_stats(scores, manifest.samples, threshold_of(manifest))


def _by_judge(tallies: dict[tuple[str, str], _Tally]) -> dict[str, CheckCounts]:
    """Check counts per judge, for the judges whose records carry checks."""
    found: dict[str, CheckCounts] = {}
    for (_, judge), tally in tallies.items():
        counts = tally.check_counts()
        if counts.records:
            found.setdefault(judge, CheckCounts()).include(counts)
    return found


def _tasks(tallies: list[_Tally]) -> int:
    """Distinct tasks with a record among one candidate's tallies (one per judge)."""
    if len(tallies) == 1:  # the usual case: no set of every task id to build
        return len(tallies[0].rows)
    return len(set().union(*(t.rows for t in tallies)))


def _one(
    candidate: str, tallies: list[_Tally], missing: int, max_tokens: int | None
) -> CandidateSummary:
    statuses: dict[str, int] = {}
    for tally in tallies:
        for code in tally.status:
            statuses[STATUSES[code]] = statuses.get(STATUSES[code], 0) + 1
    scores = [score for t in tallies for score in t.score if score]
    latencies = [latency for t in tallies for latency in t.latency if latency]
    reasons = list(dict.fromkeys(r for t in tallies for r in t.reasons.values()))
    cut = sum(bool(bits & CUT) for t in tallies for bits in t.incomplete)
    empty = sum(bool(bits & EMPTY) for t in tallies for bits in t.incomplete)
    incomplete = Incomplete(candidate=candidate, cut=cut, empty=empty, max_tokens=max_tokens)
    checks = CheckCounts()
    for tally in tallies:
        checks.include(tally.check_counts())
    return CandidateSummary(
        candidate=candidate,
        records=sum(len(t.rows) for t in tallies),
        by_status=statuses,
        mean_score=round(mean(scores), 2) if scores else None,
        mean_latency_ms=round(mean(latencies), 1) if latencies else None,
        total_latency_ms=round(sum(latencies), 1),
        reasons=reasons[:5],
        not_run=missing,
        incomplete=incomplete if cut or empty else None,
        checks=checks,
    )
