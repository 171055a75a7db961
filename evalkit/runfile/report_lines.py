"""Result lines as `report` reads them: decoded natively by msgspec (`lines.fast_decoder`)
into `ReportLine` structs holding the fields the report shows (the key, status, the
answer's text, latency and ending, the verdict, the error, the judge's latency and when
the record was written); every other field is skipped, its JSON still checked.
`read_report_run` reads a run file into a `ReportRun`.

Guarantees: as `runfile.lines`. Each struct has a pydantic twin (`twins.ReportLineModel`)
that holds the rules of `types.Record` for the fields read (a verdict's fields are strict,
as `types.Verdict`'s); a line msgspec refuses, or that is not valid UTF-8, is validated
again by the twin, which accepts it by its own rules or names the field. Pairwise lines
are checked for their type only (the report does not read them); resume lines are read in
full by pydantic. The manifest is a `heads.ManifestHead` (line 1 as RunManifest's rules
accept it, holding the fields the report reads), so a file msgspec reads whole imports no
pydantic. 10,000 real-shaped records (23 MB) decode in 0.08 s of CPU against 0.30 s for
`read_run`'s full validation (measured).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import msgspec

from evalkit.keys import IssueSeverity, RecordKey, utc_now
from evalkit.runfile.heads import ManifestHead
from evalkit.runfile.lines import LineAnswer, ResultLine, Score, read_lines

if TYPE_CHECKING:
    from evalkit.types import Resume


class ReportCriterion(msgspec.Struct, kw_only=True, gc=False):
    """The judge's finding on one rubric criterion (`types.CriterionResult`)."""

    id: str
    """The rubric criterion's id."""
    met: bool
    """Whether the answer does what the criterion asks."""
    note: str = ""
    """One sentence of evidence from the answer."""


class ReportIssue(msgspec.Struct, kw_only=True, gc=False):
    """A problem the judge found in an answer (`types.Issue`)."""

    severity: IssueSeverity
    """fatal, wrong, inaccurate, missing, vague or minor."""
    description: str
    """What is wrong, specifically."""


class ReportVerdict(msgspec.Struct, kw_only=True, gc=False):
    """A verdict as the report shows it (`types.Verdict`)."""

    reasoning: str
    """The judge's reasoning."""
    criteria: list[ReportCriterion]
    """One finding per rubric criterion."""
    issues: list[ReportIssue] = []
    """Problems found."""
    score: Score
    """1-5."""
    label: str
    """Short verdict in capitals."""
    capped_from: Score | None = None
    """The judge's own score when a missed fatal criterion capped it."""


class ReportError(msgspec.Struct, kw_only=True, gc=False):
    """Why a record is not ok (`types.ErrorInfo`)."""

    kind: str
    """The failure's class."""
    message: str
    """What happened, with secrets redacted."""
    status_code: int | None = None
    """The HTTP status, when there was one."""
    role: Literal["candidate", "judge"] = "candidate"
    """Whose call failed."""


class ReportJudgeAnswer(msgspec.Struct, kw_only=True, gc=False):
    """The judge's call: its reply's text (an Answer must have one) and latency."""

    text: str
    """The judge's reply."""
    latency_ms: float | None = None
    """Wall time of the judge's call, in milliseconds."""


class ReportCheck(msgspec.Struct, kw_only=True, gc=False):
    """A check's outcome on the answer (`types.CheckResult`)."""

    id: str
    """The check's id in the suite."""
    passed: bool | None
    """True or False when the check ran; None when it could not."""
    detail: str
    """Why it passed or failed, or why it did not run (model-influenced text)."""
    duration_ms: float
    """Wall-clock time the check took."""


class ReportDisagreement(msgspec.Struct, kw_only=True, gc=False):
    """A check and the judge contradicting each other (`types.Disagreement`)."""

    check_id: str
    """The check's id."""
    criterion: str
    """The rubric criterion the check gives evidence for."""
    check_passed: bool
    """What the check found."""
    judge_met: bool
    """What the judge found for that criterion."""


class ReportLine(ResultLine, kw_only=True, tag="result"):
    """A result line as `report` reads it; the fields it does not show are skipped."""

    twin: ClassVar[str] = "evalkit.runfile.twins:ReportLineModel"
    answer: LineAnswer | None = None
    """The candidate's answer."""
    verdict: ReportVerdict | None = None
    """The judge's verdict."""
    judge_answer: ReportJudgeAnswer | None = None
    """The judge's call."""
    error: ReportError | None = None
    """Why the record is not ok."""
    finished_at: str = msgspec.field(default_factory=utc_now)
    """When the record was written (as `types.Record`, now when absent)."""
    checks: list[ReportCheck] = msgspec.field(default_factory=list)
    """The task's checks on the answer; empty without checks."""
    disagreements: list[ReportDisagreement] = msgspec.field(default_factory=list)
    """Checks that contradict the judge's finding on their criterion."""


class ReportRun(msgspec.Struct, gc=False):
    """A run file as `report` reads it: what `reader.RunFile` holds that a report uses."""

    path: str
    """Where it was read from."""
    manifest: ManifestHead
    """Line 1, the fields the report reads."""
    records: dict[RecordKey, ReportLine]
    """The last result line of each key, in first-seen key order."""
    resumes: list[Resume]
    """Every resume of the run, in order."""
    partial_tail: bool = False
    """True when the file ended in a partial line (a crash mid-write), which was skipped."""


def read_report_run(path: str | Path) -> ReportRun:
    """Read what `report` shows from a run file (`lines.read_lines`): a line that is not
    JSON, or whose read fields are wrong, is an error naming the file, the line and the
    field."""
    read = read_lines(path, ReportLine)
    return ReportRun(
        path=str(path),
        manifest=read.manifest,
        records={line.key: line for line in read.items},
        resumes=read.resumes,
        partial_tail=read.partial_tail,
    )
