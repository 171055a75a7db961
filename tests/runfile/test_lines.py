"""The native line decoders (`runfile.lines`) accept exactly the lines their pydantic twins
accept, with the same values, and refuse the others with the twin's error."""

import json

import msgspec
import pytest
from pydantic import ValidationError
from runfiles import record

from evalkit.runfile.lines import KeyLine, KeyLineModel, ScoreLine, ScoreLineModel, fast_decoder
from evalkit.runfile.reader import line_decoder
from evalkit.runfile.report_lines import ReportLine, ReportLineModel

GOOD = json.loads(record("t1", "m", "ok", 4, text="an answer").model_dump_json())


def changed(path: str, value: object) -> bytes:
    """GOOD with the field at `path` (dotted) set to `value` (removed for ...), as a line."""
    line = json.loads(json.dumps(GOOD))
    *parents, name = path.split(".")
    place = line
    for parent in parents:
        place = place[parent]
    if value is ...:
        del place[name]
    else:
        place[name] = value
    return json.dumps(line).encode() + b"\n"


LINES = [
    pytest.param(json.dumps(GOOD).encode() + b"\n", id="good"),
    pytest.param(changed("verdict.score", 4.0), id="score-float"),
    pytest.param(changed("verdict.score", "4"), id="score-string"),
    pytest.param(changed("verdict.score", True), id="score-bool"),
    pytest.param(changed("verdict.score", 6), id="score-6"),
    pytest.param(changed("verdict.score", 0), id="score-0"),
    pytest.param(changed("verdict.label", 5), id="label-int"),
    pytest.param(changed("verdict", None), id="no-verdict"),
    pytest.param(changed("verdict", ...), id="verdict-absent"),
    pytest.param(changed("answer", None), id="no-answer"),
    pytest.param(changed("answer.text", None), id="text-null"),
    pytest.param(changed("answer.finish_reason", 3), id="finish-reason-int"),
    pytest.param(changed("answer.finish_reason", "length"), id="cut"),
    pytest.param(changed("answer.latency_ms", 12), id="latency-int"),
    pytest.param(changed("answer.latency_ms", "12.5"), id="latency-string"),
    pytest.param(changed("verdict.capped_from", 5), id="capped"),
    pytest.param(changed("verdict.capped_from", 5.0), id="capped-float"),
    pytest.param(changed("verdict.reasoning", 3), id="reasoning-int"),
    pytest.param(changed("verdict.criteria", ...), id="criteria-absent"),
    pytest.param(changed("verdict.criteria", [{"id": "c", "met": 1}]), id="met-int"),
    pytest.param(changed("verdict.criteria", [{"id": "c", "met": "true"}]), id="met-string"),
    pytest.param(changed("verdict.criteria", [{"id": "c", "met": True}]), id="note-absent"),
    pytest.param(changed("verdict.issues", [{"severity": "odd", "description": "d"}]), id="sev"),
    pytest.param(changed("verdict.issues", ...), id="issues-absent"),
    pytest.param(changed("error", {"kind": "K", "message": "m", "status_code": "404"}), id="code"),
    pytest.param(changed("error", {"kind": "K", "message": "m", "role": "x"}), id="role-bad"),
    pytest.param(changed("error", {"kind": "K"}), id="message-absent"),
    pytest.param(changed("judge_answer", {"latency_ms": 5.0}), id="judge-text-absent"),
    pytest.param(changed("judge_answer", {"text": "r", "latency_ms": 5}), id="judge-latency"),
    pytest.param(changed("finished_at", 5), id="finished-int"),
    pytest.param(changed("status", "fine"), id="status-unknown"),
    pytest.param(changed("status", None), id="status-null"),
    pytest.param(changed("task_id", 7), id="task-id-int"),
    pytest.param(changed("judge", ...), id="judge-absent"),
    pytest.param(changed("type", "pair"), id="type-pair"),
    pytest.param(changed("type", "resume"), id="type-resume"),
    pytest.param(changed("type", "other"), id="type-other"),
    pytest.param(changed("type", ...), id="type-absent"),
    pytest.param(changed("extra", {"deep": [1, 2, {"x": None}]}), id="unknown-field"),
    pytest.param(changed("note", "é ✓ \\u00e9"), id="non-ascii"),
    pytest.param(changed("note", "x").replace(b'"x"', b'"\xff"'), id="bad-utf8"),
    pytest.param(changed("note", "x").replace(b'"x"', b'"\\ud800"'), id="lone-surrogate"),
    pytest.param(changed("note", "x").replace(b'"x"', b"NaN"), id="nan"),
    pytest.param(b"[1]\n", id="array"),
    pytest.param(b"garbage\n", id="garbage"),
]


@pytest.mark.parametrize(
    ("struct", "twin"),
    [(ScoreLine, ScoreLineModel), (KeyLine, KeyLineModel), (ReportLine, ReportLineModel)],
)
@pytest.mark.parametrize("line", LINES)
def test_a_struct_accepts_and_refuses_what_its_twin_does(
    struct: type, twin: type, line: bytes
) -> None:
    fast, checked = fast_decoder(struct, twin, False), line_decoder(twin, False)
    try:
        expected = checked(line)
    except ValidationError as exc:
        with pytest.raises(ValidationError) as raised:
            fast(line)
        assert raised.value.errors() == exc.errors()  # the same error, so the same message
        return
    got = fast(line)
    if expected.type != "result":
        assert got == expected
        return
    assert isinstance(got, struct)
    assert msgspec.to_builtins(got) == expected.model_dump()
