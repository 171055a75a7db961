"""The native line decoders (`runfile.lines`) accept exactly the lines their pydantic twins
accept, with the same values, and refuse the others with the twin's error."""

import json

import msgspec
import pytest
from pydantic import ValidationError
from runfiles import check, disagree, manifest, record

from evalkit.errors import RunFileError
from evalkit.runfile.heads import ManifestHead
from evalkit.runfile.lines import KeyLine, ScoreLine, fast_decoder, read_lines
from evalkit.runfile.reader import RunLines, line_decoder
from evalkit.runfile.report_lines import ReportLine
from evalkit.runfile.twins import KeyLineModel, ReportLineModel, ScoreLineModel

GOOD = json.loads(
    record(
        "t1",
        "m",
        "ok",
        4,
        text="an answer",
        checks=[check("c1", True)],
        disagreements=[disagree("c1")],
    ).model_dump_json()
)


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
    pytest.param(changed("checks", [{"id": "c", "passed": "yes"}]), id="passed-string"),
    pytest.param(changed("checks", [{"id": "c"}]), id="passed-absent"),
    pytest.param(changed("checks", {"id": "c"}), id="checks-object"),
    pytest.param(changed("disagreements", [5]), id="disagreement-int"),
    pytest.param(changed("disagreements", [{"check_id": 5}]), id="disagreement-odd"),
    pytest.param(changed("error", {"kind": 5, "message": "m"}), id="kind-int"),
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


MANIFEST = manifest().model_dump_json().encode() + b"\n"
GOOD_LINE = json.dumps(GOOD).encode() + b"\n"


def line_by_line(path, struct: type) -> tuple[list, bool]:
    """What reading the file one line at a time gives (the specification of read_lines)."""
    twin = {KeyLine: KeyLineModel, ScoreLine: ScoreLineModel, ReportLine: ReportLineModel}[struct]
    lines = RunLines(path, struct, decoder=fast_decoder(struct, twin, False))
    return list(lines), lines.partial


@pytest.mark.parametrize("struct", [KeyLine, ScoreLine, ReportLine])
@pytest.mark.parametrize("line", LINES)
def test_reading_a_whole_file_gives_what_reading_it_line_by_line_gives(
    tmp_path, struct: type, line: bytes
) -> None:
    """Whole-file decoding (msgspec's decode_lines) and line-by-line decoding accept the
    same files with the same values, and refuse the others with the same error."""
    path = tmp_path / "run.jsonl"
    path.write_bytes(MANIFEST + GOOD_LINE + b"\n" + line + GOOD_LINE + b'{"type": "res')
    try:
        items, partial = line_by_line(path, struct)
    except RunFileError as exc:
        with pytest.raises(RunFileError) as raised:
            read_lines(path, struct)
        assert str(raised.value) == str(exc)  # the same file, line and field
        return
    read = read_lines(path, struct)
    assert [msgspec.to_builtins(i) for i in read.items] == [msgspec.to_builtins(i) for i in items]
    assert read.partial_tail is partial is True
    assert read.manifest == msgspec.json.decode(MANIFEST, type=ManifestHead)


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("samples", 0, "samples"),
        ("pass_threshold", 6, "pass_threshold"),
        ("candidates", "m", "candidates"),
        ("suite", None, "suite"),
        ("type", "result", "type"),
    ],
)
def test_a_bad_manifest_is_refused_with_the_field_named(
    tmp_path, field: str, value: object, where: str
) -> None:
    head = json.loads(MANIFEST)
    head[field] = value
    path = tmp_path / "run.jsonl"
    path.write_bytes(json.dumps(head).encode() + b"\n" + GOOD_LINE)
    with pytest.raises(RunFileError) as raised:
        read_lines(path, KeyLine)
    message = str(raised.value)
    assert "line 1" in message and "not a manifest" in message and where in message


def test_a_manifest_with_text_beyond_ascii_is_read(tmp_path) -> None:
    head = json.loads(MANIFEST)
    head["models"]["gemma3:1b"]["notes"] = "Gemma 3 · 1B, ✓"
    head["models"]["gemma3:1b"]["params"]["max_tokens"] = 512
    path = tmp_path / "run.jsonl"
    path.write_bytes(json.dumps(head, ensure_ascii=False).encode() + b"\n" + GOOD_LINE)
    read = read_lines(path, KeyLine)
    assert read.manifest.models["gemma3:1b"].params["max_tokens"] == 512
    assert [i.task_id for i in read.items] == ["t1"]
