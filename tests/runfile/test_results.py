"""Run files: whole lines, fsynced; last record per key wins; a crash's partial line is
skipped by readers and cut off by the next writer; corruption is named by line."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from runfiles import Row, write_run

from evalkit.cli import main
from evalkit.config import load_config
from evalkit.endpoints.pool import Pool
from evalkit.errors import RunFileBusyError, RunFileError
from evalkit.runfile.index import read_index
from evalkit.runfile.lines import read_scores
from evalkit.runfile.reader import read_run
from evalkit.runfile.report_lines import read_report_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import Answer, JudgeInfo, Record, Resume, RunManifest, SuiteInfo

CREDENTIALS_CONFIG = """
default_profile = "p"
[endpoints.pod]
kind = "ollama"
url = "https://gemma:pw-in-the-url@pod.example"
[models."gemma3:1b"]
endpoint = "pod"
[profiles.p]
candidates = ["gemma3:1b"]
judge = "j"
"""

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(REPO.glob("suites/*/runs/*.jsonl"))


def manifest() -> RunManifest:
    return RunManifest(
        run_id="r1",
        evalkit_version="0",
        suite=SuiteInfo(name="s", ref="s", fingerprint="f", tasks=1),
        profile="p",
        candidates=["m"],
        models={},
        judge=JudgeInfo(name="j"),
    )


def record(task: str, status: str = "ok", text: str = "a") -> Record:
    return Record(task_id=task, candidate="m", judge="j", status=status, answer=Answer(text=text))


def test_roundtrip_and_last_record_per_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with RunWriter(path, manifest()) as writer:
        writer.write(record("t1", "error"))
        writer.write(record("t2"))
        writer.write(record("t1", "ok", "second"))
    run = read_run(path)
    assert run.manifest.run_id == "r1"
    assert [k[0] for k in run.records] == ["t1", "t2"]
    assert run.records[("t1", "m", "j")].answer.text == "second"


def test_partial_final_line_is_skipped_then_repaired(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with RunWriter(path, manifest()) as writer:
        writer.write(record("t1"))
    with path.open("ab") as handle:
        handle.write(b'{"type": "result", "task_id": "t2", "cand')  # a crash mid-write
    run = read_run(path)
    assert run.partial_tail and list(run.records) == [("t1", "m", "j")]
    with RunWriter(path) as writer:
        writer.write(record("t3"))
    lines = path.read_bytes().split(b"\n")
    assert len(lines) == 4 and lines[-1] == b""  # manifest, t1, t3, and nothing partial
    assert [k[0] for k in read_run(path).records] == ["t1", "t3"]


GOOD = [manifest().model_dump_json().encode(), record("t1").model_dump_json().encode()]


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ([], "no complete manifest line"),
        ([b'{"hello": 1}', *GOOD[1:]], "line 1: not a run file"),
        ([*GOOD, b"garbage", GOOD[1]], "line 3: corrupt line \\(not JSON\\)"),
        ([*GOOD, b'{"x": 1}'], "line 3: not a result record: no type"),
        ([*GOOD, GOOD[0]], "line 3: not a result record: type is 'run'"),
        ([*GOOD, b'{"type": "result", "task_id": 7}'], "line 3: not a result record: task_id"),
        ([*GOOD, b'{"type": "pair", "task_id": "t"}'], "line 3: not a pair record: a: Field"),
        ([*GOOD, b"[1]", GOOD[1]], "line 3: not a result record"),
    ],
    ids=[
        "empty",
        "foreign",
        "corrupt-middle",
        "foreign-record",
        "second-manifest",
        "bad-field",
        "bad-pair",
        "not-an-object",
    ],
)
def test_bad_run_files_are_named_by_line(tmp_path: Path, lines: list[bytes], error: str) -> None:
    path = tmp_path / "run.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    with pytest.raises(RunFileError, match=error):
        read_run(path)


BAD_UTF8 = GOOD[1].replace(b'"text":"a"', b'"text":"a","note":"\xff"')


@pytest.mark.parametrize(
    "read", [read_run, read_scores, read_index, read_report_run], ids=lambda f: f.__name__
)
@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"garbage", "line 3: corrupt line \\(not JSON\\)"),
        (BAD_UTF8, "line 3: corrupt line \\(not JSON\\)"),
        (GOOD[1][:-9] + b",}", "line 3: corrupt line \\(not JSON\\)"),
        (b'{"x": 1}', "line 3: not a result record: no type"),
        (b'{"type": "result", "task_id": 7}', "line 3: not a result record: task_id"),
        (GOOD[1].replace(b'"status":"ok"', b'"status":"fine"'), "line 3: .*status"),
    ],
    ids=[
        "garbage",
        "bad-utf8-in-a-skipped-field",
        "bad-json-at-the-end",
        "no-type",
        "task-id",
        "status",
    ],
)
def test_every_reader_names_a_bad_line_as_read_run_does(
    tmp_path: Path, read: Callable[[Path], object], line: bytes, error: str
) -> None:
    """The readers that build a few fields of each line (natively) refuse what `read_run`
    refuses, even in a field they skip, with the same file, line and field."""
    path = tmp_path / "run.jsonl"
    path.write_bytes(b"".join(x + b"\n" for x in [*GOOD, line, GOOD[1]]))
    with pytest.raises(RunFileError, match=error):
        read(path)


def test_truncated_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_bytes(GOOD[0][:20])
    with pytest.raises(RunFileError, match="no complete manifest line"):
        read_run(path)


def test_new_writer_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    RunWriter(path, manifest()).close()
    with pytest.raises(RunFileError, match="already exists"):
        RunWriter(path, manifest())


def test_writer_writes_keys_and_answers_as_given_next_to_credentials(tmp_path: Path) -> None:
    """Secrets are taken out where they sit, never from whole lines: with an endpoint at
    https://gemma:PW@host in the run, the candidate gemma3:1b keeps its name."""
    config = tmp_path / "evalkit.toml"
    config.write_text(CREDENTIALS_CONFIG)
    Pool(load_config(str(config))).model("gemma3:1b", "test")  # the run's endpoint resolved
    path = tmp_path / "run.jsonl"
    line = record("t1", text="gemma3 here: the gemma family").model_copy(
        update={"candidate": "gemma3:1b"}
    )
    with RunWriter(path, manifest()) as writer:
        writer.write(line)
    written = read_run(path).records
    assert list(written) == [("t1", "gemma3:1b", "j")]
    assert written[("t1", "gemma3:1b", "j")].answer.text == "gemma3 here: the gemma family"


@pytest.mark.parametrize(
    ("field", "value", "commands"),
    [
        ("score", "true", ["show", "report", "compare"]),
        ("score", "4.0", ["show", "report", "compare"]),
        ("score", '"4"', ["show", "report", "compare"]),
        # compare reads only scores and labels, show's table only what it shows
        ("met", '"true"', ["show --full", "report"]),
        ("met", "1", ["show --full", "report"]),
    ],
)
def test_a_verdict_field_of_the_wrong_type_is_refused_when_read(
    tmp_path: Path, capsys: pytest.CaptureFixture, field: str, value: str, commands: list[str]
) -> None:
    """A hand-edited run file cannot slip `"score": true` in as a 1: the commands that read
    the field refuse it, naming the file, the line and the field."""
    path = write_run(tmp_path / "run.jsonl", [Row("t1", "m", "ok", 4)])
    text = path.read_text()
    written = {"score": '"score":4', "met": '"met":true'}[field]
    assert written in text
    path.write_text(text.replace(written, f'"{field}":{value}', 1))
    for command in commands:
        name, *flags = command.split()
        args = [str(path)] * (2 if name == "compare" else 1)
        assert main([name, *args, *flags]) == 2
        err = capsys.readouterr().err.replace("\n", " ")
        assert "run.jsonl" in err and "line 2" in err and f"{field}:" in err


@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.parent.name for p in SHIPPED])
def test_the_shipped_run_files_still_read(path: Path) -> None:
    run = read_run(path)  # they hold answers to grade (no verdicts): every field strict
    assert run.records and read_scores(path).records.keys() == run.records.keys()


def test_resume_lines_are_kept_in_order_and_skipped_by_compare(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with RunWriter(path, manifest()) as writer:
        writer.write(record("t1", "unavailable"))
    for at in ("2026-04-14T14:30:00.000+00:00", "2026-04-15T09:00:00.000+00:00"):
        with RunWriter(path, expect_size=path.stat().st_size) as writer:
            writer.write(Resume(at=at, evalkit_version="0"))
            writer.write(record("t1"))
    run = read_run(path)
    assert [r.at[:10] for r in run.resumes] == ["2026-04-14", "2026-04-15"]
    assert run.records[("t1", "m", "j")].status == "ok"
    assert read_scores(path).records[("t1", "m", "j")].status == "ok"


def test_a_second_writer_of_a_run_file_is_refused_naming_the_first(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with RunWriter(path, manifest()):
        with pytest.raises(RunFileBusyError, match=rf"run.jsonl: .* \(pid {os.getpid()}, since"):
            RunWriter(path)
        assert path.read_bytes().count(b"\n") == 1
    with RunWriter(path) as writer:  # free again once the first closed
        writer.write(record("t1"))
    assert not Path(f"{path}.lock").exists()


def test_a_resume_refuses_a_file_that_grew_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    RunWriter(path, manifest()).close()
    size = read_run(path).size
    with RunWriter(path) as other:
        other.write(record("t1"))
    with pytest.raises(RunFileBusyError, match="wrote to this run file after it was read"):
        RunWriter(path, expect_size=size)
