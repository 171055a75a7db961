"""Result lines as the commands that only read run files see them: decoded natively by
msgspec straight from the line's bytes into structs that hold only the fields a command
reads (`ScoreLine` for `compare`, `KeyLine` for `show`); every other field is skipped,
its JSON still checked. `read_scores` reads what `compare` compares.

Guarantees: each struct has a pydantic twin (`ScoreLineModel`, `KeyLineModel`), the
specification of what a line must hold. A line is taken from msgspec only when msgspec
accepts it, which it does only for values the twin accepts as they are (msgspec is the
stricter of the two); any line msgspec refuses, or whose bytes are not valid UTF-8 (which
msgspec lets pass in a skipped string), is validated again by the twin, which either
accepts it by its own rules or raises the error naming the field. So what is accepted,
and the file/line/field error on a bad line, are the twin's, and a good line is parsed
once. Pairwise and resume lines are rare, and decoded by pydantic as `reader` does.

msgspec is imported in the run-file stage only (here, in `index` and in `report_lines`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

import msgspec
from pydantic import BaseModel, Field

from evalkit.runfile.reader import RunLines, Skimmed, line_decoder
from evalkit.types import Answer, RecordKey, RunManifest, Status, record_key
from evalkit.types import Score as CheckedScore

Score = Annotated[int, msgspec.Meta(ge=1, le=5)]
"""A verdict's score, 1-5; an int in the JSON (no float, no string), as `types.Score`."""

Sample = Annotated[int, msgspec.Meta(ge=0)]
"""A record's sample index, as `Record.sample`."""


class ScoreAnswer(msgspec.Struct, gc=False):
    """An answer's text only."""

    text: str
    """The answer."""


class ScoreVerdict(msgspec.Struct, gc=False):
    """A verdict's score and label."""

    score: Score
    """1-5."""
    label: str
    """The rubric's label for the score."""


class ScoreCheck(msgspec.Struct, gc=False):
    """A check result's outcome only."""

    passed: bool | None
    """True or False when the check ran; None when it could not."""


class ScoreLine(msgspec.Struct, tag_field="type", tag="result", gc=False):
    """A result line as `compare` reads it: the row, the status, the verdict's score and
    label, and the answer's text (to tell a re-grade). Fields it does not use are
    skipped; `read_run` builds every field."""

    type: ClassVar[str] = "result"
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""
    answer: ScoreAnswer | None = None
    """The answer, when there is one."""
    verdict: ScoreVerdict | None = None
    """The verdict, when there is one."""
    checks: list[ScoreCheck] = msgspec.field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""
    sample: Sample = 0
    """Which repeated answer to the task it is (0 when the run asked once)."""

    @property
    def key(self) -> RecordKey:
        """The record's key, as Record.key."""
        return record_key(self.task_id, self.candidate, self.judge, self.sample)


class ScoreFile(msgspec.Struct, gc=False):
    """A run file as `compare` reads it: the manifest and the latest ScoreLine of every key."""

    path: str
    """Where it was read from."""
    manifest: RunManifest
    """Line 1."""
    records: dict[RecordKey, ScoreLine]
    """The last result line of each key (`Record.key`)."""


def read_scores(path: str | Path) -> ScoreFile:
    """Read what `compare` compares from a run file: a line that is not JSON, or whose
    compared fields are wrong, is an error naming the file, the line and the field.

    The other fields are checked as JSON but not built: 10,000 real-shaped records (23 MB)
    take 0.04 s of CPU against 0.10 s for pydantic's decoding of the same fields and 0.15 s
    for `json.loads` of every line (measured)."""
    lines = RunLines(Path(path), ScoreLine, decoder=fast_decoder(ScoreLine, ScoreLineModel, False))
    records = {line.key: line for line in lines}
    return ScoreFile(path=str(path), manifest=lines.manifest, records=records)


class KeyAnswer(msgspec.Struct, gc=False):
    """An answer's text and why generation stopped: enough to tell one that is not whole."""

    text: str
    """The reply's text."""
    finish_reason: str | None = None
    """Why generation stopped: stop, length, ..."""

    truncated = Answer.truncated  # the same rules as a full Answer's, not a copy of them
    empty = Answer.empty


class KeyVerdict(msgspec.Struct, gc=False):
    """A verdict's score only."""

    score: Score
    """1-5."""


class KeyLine(msgspec.Struct, tag_field="type", tag="result", gc=False):
    """A result line's key, status and answer's ending, as `show` reads it; the other
    fields are skipped."""

    type: ClassVar[str] = "result"
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""
    answer: KeyAnswer | None = None
    """The answer, when there is one."""
    verdict: KeyVerdict | None = None
    """The verdict's score, when there is one (a sampled run's spread and pass rates)."""
    sample: Sample = 0
    """Which repeated answer to the task it is (0 when the run asked once)."""

    @property
    def key(self) -> RecordKey:
        """The record's key, as Record.key."""
        return record_key(self.task_id, self.candidate, self.judge, self.sample)


class _ScoreAnswerModel(Skimmed):
    """ScoreAnswer's twin."""

    text: str
    """The answer."""


class _ScoreVerdictModel(Skimmed):
    """ScoreVerdict's twin."""

    score: CheckedScore
    """1-5."""
    label: str
    """The rubric's label for the score."""


class _ScoreCheckModel(Skimmed):
    """ScoreCheck's twin."""

    passed: bool | None
    """True or False when the check ran; None when it could not."""


class ScoreLineModel(Skimmed):
    """ScoreLine's twin: what a result line must hold for `compare` (see the module
    docstring); fields it does not declare are skipped unchecked."""

    type: Literal["result"] = "result"
    """Always "result"."""
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""
    answer: _ScoreAnswerModel | None = None
    """The answer, when there is one."""
    verdict: _ScoreVerdictModel | None = None
    """The verdict, when there is one."""
    checks: list[_ScoreCheckModel] = Field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""
    sample: int = Field(default=0, ge=0)
    """Which repeated answer to the task it is."""


class _KeyAnswerModel(Skimmed):
    """KeyAnswer's twin."""

    text: str
    """The reply's text."""
    finish_reason: str | None = None
    """Why generation stopped: stop, length, ..."""


class _KeyVerdictModel(Skimmed):
    """KeyVerdict's twin."""

    score: CheckedScore
    """1-5."""


class KeyLineModel(Skimmed):
    """KeyLine's twin: what a result line must hold for `show`."""

    type: Literal["result"] = "result"
    """Always "result"."""
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""
    answer: _KeyAnswerModel | None = None
    """The answer, when there is one."""
    verdict: _KeyVerdictModel | None = None
    """The verdict's score, when there is one."""
    sample: int = Field(default=0, ge=0)
    """Which repeated answer to the task it is."""


class _Other(msgspec.Struct, tag_field="type", gc=False):
    """A pairwise or resume line as the fast pass sees it: its type only; `reader`'s
    pydantic decoder then reads it (these lines are few)."""

    type: ClassVar[str] = "other"


class _Pair(_Other, tag="pair"):
    pass


class _Resume(_Other, tag="resume"):
    pass


@cache
def fast_decoder(
    struct: type[msgspec.Struct], twin_type: type[BaseModel], pairs: bool
) -> Callable[[bytes], Any]:
    """Decode one line: a result line into `struct`, a pairwise or resume line as
    `reader.line_decoder` does; a line msgspec refuses goes to the twin (pydantic,
    `twin_type`), whose ValidationError names the field. The twin's validator is built
    only when a line needs it (building it costs more than decoding 10,000 lines)."""
    native = msgspec.json.Decoder(Union[struct, _Pair, _Resume]).decode  # noqa: UP007
    as_struct = msgspec.json.Decoder(struct).decode
    refused = msgspec.MsgspecError

    def decode(line: bytes) -> Any:
        try:
            item = native(line)
        except refused:
            item = None
        if item is not None and item.type == "result" and (line.isascii() or _utf8(line)):
            return item
        checked = line_decoder(twin_type, pairs)(line)  # raises a bad line's ValidationError
        if checked.type != "result":
            return checked
        return as_struct(checked.model_dump_json())  # accepted by the twin's own rules

    return decode


def _utf8(line: bytes) -> bool:
    """Whether the bytes are valid UTF-8 (JSON's encoding; msgspec checks only the strings
    it keeps)."""
    try:
        line.decode()
    except UnicodeDecodeError:
        return False
    return True
