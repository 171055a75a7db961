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

`read_lines` reads a whole file in one native call (msgspec's `decode_lines`), with no
pydantic at all while every line is a good result line; a file where msgspec refuses a line,
or with pairwise or resume lines (which pydantic validates), is read again line by line as
above, so a bad line gets the same error either way. The twins (`runfile.twins`) are
imported only then.

msgspec is imported in the run-file stage (here, in `heads`, `index` and `report_lines`)
and by `analysis.comparison`, whose results are msgspec structs. `LineAnswer` is the answer
as both `show` (`KeyLine`) and `report` (`report_lines.ReportLine`) read it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Literal, TypeVar, Union

import msgspec

from evalkit.errors import RunFileError
from evalkit.keys import RecordKey, Status, is_blank, is_cut, record_key
from evalkit.runfile.heads import ManifestHead, head_of, read_head, utf8
from evalkit.runfile.prefetch import file_bytes

if TYPE_CHECKING:
    from pydantic import BaseModel

    from evalkit.runfile.reader import RunLines


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


class ResultLine(msgspec.Struct, tag_field="type", gc=False):
    """What every reader's view of a result line holds: its key and status. Each view
    (`ScoreLine`, `KeyLine`, `report_lines.ReportLine`) adds the fields its command reads
    and names its pydantic twin ("module:Name")."""

    type: ClassVar[str] = "result"
    twin: ClassVar[str]
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""
    sample: Sample = 0
    """Which repeated answer to the task it is (0 when the run asked once)."""

    @property
    def key(self) -> RecordKey:
        """The record's key, as Record.key."""
        return record_key(self.task_id, self.candidate, self.judge, self.sample)


class ScoreLine(ResultLine, tag="result"):
    """A result line as `compare` reads it: the row, the status, the verdict's score and
    label, and the answer's text (to tell a re-grade). Fields it does not use are
    skipped; `read_run` builds every field."""

    twin: ClassVar[str] = "evalkit.runfile.twins:ScoreLineModel"
    answer: ScoreAnswer | None = None
    """The answer, when there is one."""
    verdict: ScoreVerdict | None = None
    """The verdict, when there is one."""
    checks: list[ScoreCheck] = msgspec.field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""


class ScoreFile(msgspec.Struct, gc=False):
    """A run file as `compare` reads it: the manifest and the latest ScoreLine of every key."""

    path: str
    """Where it was read from."""
    manifest: ManifestHead
    """Line 1."""
    records: dict[RecordKey, ScoreLine]
    """The last result line of each key (`Record.key`)."""


def read_scores(path: str | Path) -> ScoreFile:
    """Read what `compare` compares from a run file (`read_lines`): a line that is not
    JSON, or whose compared fields are wrong, is an error naming the file, the line and
    the field. The other fields are checked as JSON but not built."""
    read = read_lines(path, ScoreLine)
    return ScoreFile(str(path), read.manifest, {line.key: line for line in read.items})


class LineAnswer(msgspec.Struct, gc=False):
    """An answer's text, why generation stopped and how long it took: what `show`'s table
    and the report show of it."""

    text: str
    """The reply's text."""
    finish_reason: str | None = None
    """Why generation stopped: stop, length, ..."""
    latency_ms: float | None = None
    """Wall time of the call that gave it, in milliseconds."""

    @property
    def truncated(self) -> bool:
        """Cut at the token limit, as `Answer.truncated`."""
        return is_cut(self.finish_reason)

    @property
    def empty(self) -> bool:
        """No text but whitespace, as `Answer.empty`."""
        return is_blank(self.text)


class KeyVerdict(msgspec.Struct, gc=False):
    """A verdict's score and label."""

    score: Score
    """1-5."""
    label: str
    """The rubric's label for the score."""


class KeyFailure(msgspec.Struct, gc=False):
    """Why a record is not ok, in a table cell's words: whose call failed and how."""

    kind: str
    """The failure's class, e.g. ServiceUnavailableError, EndpointDown, InvalidVerdict."""
    status_code: int | None = None
    """The HTTP status, when there was one."""
    role: Literal["candidate", "judge"] = "candidate"
    """Whose call failed."""


class Counted(msgspec.Struct, gc=False):
    """An object of a list that is only counted; its fields are skipped."""


class KeyLine(ResultLine, tag="result"):
    """A result line as `show` reads it: its key and status, and the cells of its table
    row (score, label, latency, the reason it is not ok, its checks); the other fields
    are skipped."""

    twin: ClassVar[str] = "evalkit.runfile.twins:KeyLineModel"
    answer: LineAnswer | None = None
    """The answer, when there is one."""
    verdict: KeyVerdict | None = None
    """The verdict's score and label, when there is one."""
    error: KeyFailure | None = None
    """Why it is not ok, when it is not."""
    checks: list[ScoreCheck] = msgspec.field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""
    disagreements: list[Counted] = msgspec.field(default_factory=list)
    """Where a check contradicted the judge (counted only)."""


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
    from evalkit.runfile.reader import line_decoder

    native = msgspec.json.Decoder(Union[struct, _Pair, _Resume]).decode  # noqa: UP007
    as_struct = msgspec.json.Decoder(struct).decode
    refused = msgspec.MsgspecError

    def decode(line: bytes) -> Any:
        try:
            item = native(line)
        except refused:
            item = None
        if item is not None and item.type == "result" and (line.isascii() or utf8(line)):
            return item
        checked = line_decoder(twin_type, pairs)(line)  # raises a bad line's ValidationError
        if checked.type != "result":
            return checked
        return as_struct(checked.model_dump_json())  # accepted by the twin's own rules

    return decode


S = TypeVar("S", bound=ResultLine)


class Lines(msgspec.Struct, Generic[S], gc=False):
    """A run file's head and result lines as `read_lines` read them."""

    manifest: ManifestHead
    """Line 1, the fields readers read."""
    items: list[S]
    """Every result line, in file order (later lines of a key supersede earlier ones:
    the caller's to apply)."""
    partial_tail: bool = False
    """True when the file ended in a partial line (a crash mid-write), which was skipped."""
    resumes: list[Any] = []
    """The file's resume lines (`types.Resume`), in order."""


def read_lines(path: str | Path, struct: type[S]) -> Lines[S]:
    """Every result line of a run file as `struct` (a struct with a `twin`, "module:Name"),
    pairwise lines skipped, in one native pass; see the module docstring."""
    path = Path(path)
    try:
        data = file_bytes(path)
    except OSError as exc:
        raise RunFileError(f"cannot read: {exc.strerror}", path=str(path)) from None
    head_end = data.find(b"\n") + 1
    if not head_end:
        raise RunFileError("empty or truncated: no complete manifest line", path=str(path))
    manifest = read_head(data[:head_end], path)
    body_end = data.rfind(b"\n") + 1  # past it, a partial last line (a crash mid-write)
    partial = body_end < len(data)
    body = memoryview(data)[head_end:body_end]  # not a copy (a slice of 20 MB cost 15 ms)
    try:
        if data.isascii() or utf8(body):
            items = _whole_file_decoder(struct)(body)
            if all(item.type == "result" for item in items):
                return Lines(manifest, items, partial)
    except msgspec.MsgspecError:
        pass
    return _line_by_line(path, struct)


@cache
def _whole_file_decoder(struct: type[msgspec.Struct]) -> Callable[[bytes], list[Any]]:
    """Decode newline-delimited result, pairwise and resume lines in one call."""
    return msgspec.json.Decoder(Union[struct, _Pair, _Resume]).decode_lines  # noqa: UP007


def _line_by_line(path: Path, struct: type[S]) -> Lines[S]:
    """`read_lines` for a file msgspec refused somewhere, or with pairwise or resume lines:
    line by line, each line msgspec refuses validated by the struct's twin, which names
    the bad field."""
    lines = lines_through_twin(path, struct)
    items = list(lines)
    return Lines(head_of(lines.manifest), items, lines.partial, lines.resumes)


def lines_through_twin(path: str | Path, struct: type[S]) -> RunLines[S]:
    """The file read one line at a time (`reader.RunLines`), as `struct`: a line msgspec
    refuses is validated by the struct's twin, which accepts it or names the bad field."""
    from evalkit.runfile.reader import RunLines

    module, name = struct.twin.split(":")
    twin = getattr(import_module(module), name)
    return RunLines(Path(path), struct, decoder=fast_decoder(struct, twin, False))
