"""`merge`: one line per key, the latest ok record winning; files that are not parts of one
run refused with what differs unless --force; the output is a normal run file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from runfiles import JUDGE, manifest, model_info, record, write_run

from evalkit.cli import main
from evalkit.runfile.merge import merge_runs
from evalkit.runfile.reader import read_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import PairRecord, Record, Resume, RunManifest, ShardInfo

EARLY, LATE = "2026-04-14T12:00:00.000+00:00", "2026-04-14T13:00:00.000+00:00"


def stamped(status: str, finished: str, text: str) -> Record:
    score = 3 if status == "ok" else None
    made = record("t1", "gemma3:1b", status, score, text=text)
    if made.answer is None:  # keep the text somewhere to tell the winner by
        made = made.model_copy(update={"error": made.error.model_copy(update={"message": text})})
    return made.model_copy(update={"finished_at": finished})


def text_of(item: Record) -> str:
    return item.answer.text if item.answer else item.error.message  # type: ignore[union-attr]


# (status, finished_at) in A, then in B -> the file whose record the merge keeps
CASES = [
    (("ok", EARLY), ("ok", LATE), "B"),  # the later ok
    (("ok", LATE), ("ok", EARLY), "A"),  # the later ok, though named first
    (("ok", EARLY), ("error", LATE), "A"),  # an ok over a later failure
    (("unavailable", LATE), ("ok", EARLY), "B"),  # an ok over a later failure, either order
    (("judge_error", EARLY), ("unavailable", LATE), "B"),  # neither ok: the later
    (("ok", EARLY), ("ok", EARLY), "B"),  # a tie: the file named later
]


@pytest.mark.parametrize(("in_a", "in_b", "kept"), CASES)
def test_the_latest_ok_record_of_a_key_wins(
    tmp_path: Path, in_a: tuple[str, str], in_b: tuple[str, str], kept: str
) -> None:
    a = write_run(tmp_path / "a.jsonl", [stamped(*in_a, "from A")], manifest(["gemma3:1b"]))
    b = write_run(tmp_path / "b.jsonl", [stamped(*in_b, "from B")], manifest(["gemma3:1b"]))
    result = merge_runs([a, b], tmp_path / "out.jsonl")
    merged = read_run(tmp_path / "out.jsonl")
    (only,) = merged.records.values()
    assert text_of(only) == f"from {kept}"
    assert (result.records, result.superseded) == (1, 1)
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 2  # the manifest and one line for the key: deduplicated on disk


def shard_manifest(index: int, count: int, tasks: int) -> RunManifest:
    made = manifest(["gemma3:1b", "gemma3:27b"], run_id=f"run-{index}")
    return made.model_copy(update={"shard": ShardInfo(index=index, count=count, tasks=tasks)})


def test_shards_merge_into_a_whole_run_that_names_its_sources(tmp_path: Path) -> None:
    one = [record("t1", c, "ok", 4) for c in ("gemma3:1b", "gemma3:27b")]
    two = [record(t, c, "ok", 2) for t in ("t2", "t3") for c in ("gemma3:1b", "gemma3:27b")]
    a = write_run(tmp_path / "s1.jsonl", one, shard_manifest(1, 2, 1))
    b = write_run(tmp_path / "s2.jsonl", two, shard_manifest(2, 2, 2))
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "out.jsonl")]) == 0
    merged = read_run(tmp_path / "out.jsonl")
    assert len(merged.records) == 6 and all(r.status == "ok" for r in merged.records.values())
    assert merged.manifest.shard is None
    assert merged.manifest.run_id == "run-1"  # the first's manifest
    sources = [(s.path, s.run_id, s.shard.index, s.records) for s in merged.manifest.merged_from]
    assert sources == [(str(a), "run-1", 1, 2), (str(b), "run-2", 2, 4)]


def test_files_of_different_candidates_merge_into_one_of_all(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a.jsonl", [record("t1", "gemma3:1b", "ok", 3)])
    b = write_run(tmp_path / "b.jsonl", [record("t1", "gemma3:27b", "ok", 4)])
    merge_runs([a, b], tmp_path / "out.jsonl")
    merged = read_run(tmp_path / "out.jsonl").manifest
    assert merged.candidates == ["gemma3:1b", "gemma3:27b"]
    assert set(merged.models) == {"gemma3:1b", "gemma3:27b"}


def hotter() -> RunManifest:
    hot = model_info("gemma3:1b")
    hot.params["temperature"] = 0.9
    return manifest(["gemma3:1b"], models={"gemma3:1b": hot})


def judged_from(path: str, definition: str) -> RunManifest:
    """A manifest whose judge was loaded from the file at `path`, of this definition hash."""
    made = manifest(["gemma3:1b"])
    judge = made.judge.model_copy(update={"path": path, "definition_sha256": definition})
    return made.model_copy(update={"judge": judge})


def with_digest(digest: str) -> RunManifest:
    """A manifest whose gemma3:1b was served with this Ollama digest."""
    info = model_info("gemma3:1b").model_copy(
        update={"identity": digest, "identity_source": "digest"}
    )
    return manifest(["gemma3:1b"], models={"gemma3:1b": info})


# (manifest A, manifest B, what the refusal names)
MISMATCHES = {
    "suite-fingerprint": (
        manifest(["gemma3:1b"]),
        manifest(["gemma3:1b"], fingerprint="0" * 64),
        "suite fingerprint ffffffffffff… vs 000000000000…",
    ),
    "profile": (
        manifest(["gemma3:1b"]),
        manifest(["gemma3:1b"]).model_copy(update={"profile": "other"}),
        "profile 'big-brain' vs 'other'",
    ),
    "candidate-settings": (
        manifest(["gemma3:1b"]),
        hotter(),
        "model 'gemma3:1b' settings: temperature 0.3 vs 0.9",
    ),
    "judge-definition": (
        manifest(["gemma3:1b"]),
        manifest(["gemma3:1b"], prompt_sha256="1" * 64),
        f"judge '{JUDGE}' definition: its prompt_sha256 differ",
    ),
    "judge-file": (
        judged_from("/home/a/proj/judges/j.toml", "a1" * 32),
        judged_from("/home/a/proj/judges/j.toml", "b2" * 32),
        f"judge '{JUDGE}' definition: its file changed (sha256 a1a1a1a1a1a1… vs b2b2b2b2b2b2…)",
    ),
    "model-identity": (
        with_digest("a1b2" * 16),
        with_digest("c3d4" * 16),
        "model 'gemma3:1b' digest a1b2a1b2a1b2… vs c3d4c3d4c3d4…",
    ),
}


@pytest.mark.parametrize(("first", "second", "named"), MISMATCHES.values(), ids=MISMATCHES.keys())
def test_files_that_differ_are_refused_with_what_differs_unless_forced(
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    first: RunManifest,
    second: RunManifest,
    named: str,
) -> None:
    a = write_run(tmp_path / "a.jsonl", [record("t1", "gemma3:1b", "ok", 3)], first)
    b = write_run(tmp_path / "b.jsonl", [record("t2", "gemma3:1b", "ok", 3)], second)
    out = tmp_path / "out.jsonl"
    assert main(["merge", str(a), str(b), "-o", str(out)]) == 2
    message = " ".join(capsys.readouterr().err.split())
    assert named in message and "--force" in message
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl*"))
    assert main(["merge", str(a), str(b), "-o", str(out), "--force"]) == 0
    assert len(read_run(out).records) == 2


def test_the_same_judge_loaded_from_another_checkout_merges(tmp_path: Path) -> None:
    """Each machine has its own checkout: the judge file's path differs, its hash does not."""
    here = judged_from("/home/a/proj/judges/j.toml", "a1" * 32)
    there = judged_from("/srv/b/evalkit/judges/j.toml", "a1" * 32)
    a = write_run(tmp_path / "a.jsonl", [record("t1", "gemma3:1b", "ok", 3)], here)
    b = write_run(tmp_path / "b.jsonl", [record("t2", "gemma3:1b", "ok", 3)], there)
    result = merge_runs([a, b], tmp_path / "out.jsonl")
    assert result.records == 2


def test_another_suite_is_refused_even_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    a = write_run(tmp_path / "a.jsonl", [record("t1", "gemma3:1b", "ok", 3)])
    other = manifest(["gemma3:1b"], suite="other-suite")
    b = write_run(tmp_path / "b.jsonl", [record("t1", "gemma3:1b", "ok", 3)], other)
    out = tmp_path / "out.jsonl"
    assert main(["merge", str(a), str(b), "-o", str(out), "--force"]) == 2
    assert "made from suite 'other-suite', not 'big-brain'" in capsys.readouterr().err
    assert not out.exists()


def test_an_existing_output_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    a = write_run(tmp_path / "a.jsonl", [record("t1", "gemma3:1b", "ok", 3)])
    before = a.read_bytes()
    assert main(["merge", str(a), "-o", str(a)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert a.read_bytes() == before


def pair(task: str, status: str, finished: str, reasoning: str) -> PairRecord:
    return PairRecord(
        task_id=task,
        a="gemma3:1b",
        b="gemma3:27b",
        judge=JUDGE,
        status=status,  # type: ignore[arg-type]
        outcome="a" if status == "ok" else None,
        finished_at=finished,
        started_at=reasoning,  # carries which file it came from
    )


def test_pairwise_lines_merge_the_same_way(tmp_path: Path) -> None:
    paths = []
    lines = {
        "a": [pair("t1", "ok", EARLY, "A"), pair("t2", "error", LATE, "A")],
        "b": [pair("t1", "ok", LATE, "B"), pair("t2", "error", EARLY, "B")],
        "c": [pair("t2", "ok", EARLY, "C"), pair("t3", "unavailable", EARLY, "C")],
    }
    for name, items in lines.items():
        paths.append(tmp_path / f"{name}.jsonl")
        with RunWriter(paths[-1], manifest(["gemma3:1b", "gemma3:27b"])) as writer:
            for item in items:
                writer.write(item)
    result = merge_runs(paths, tmp_path / "out.jsonl")
    merged = read_run(tmp_path / "out.jsonl").pairs
    kept = {key[0]: (p.status, p.started_at) for key, p in merged.items()}
    assert kept == {"t1": ("ok", "B"), "t2": ("ok", "C"), "t3": ("unavailable", "C")}
    assert (result.pairs, result.superseded) == (3, 3)


def test_a_file_a_run_is_still_writing_is_refused_forced_or_not(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A shard not finished would leave its missing keys looking merely not run."""
    done = write_run(tmp_path / "a.jsonl", [record("t1", "gemma3:1b", "ok", 3)])
    running = tmp_path / "b.jsonl"
    out = tmp_path / "out.jsonl"
    with RunWriter(running, manifest(["gemma3:1b"])) as writer:
        writer.write(record("t2", "gemma3:1b", "ok", 3))
        assert main(["merge", str(done), str(running), "-o", str(out), "--force"]) == 2
        message = " ".join(capsys.readouterr().err.split())
        assert f"{running}: a run is still writing this file (pid {os.getpid()}" in message
        assert not out.exists()
    assert main(["merge", str(done), str(running), "-o", str(out)]) == 0


def test_every_inputs_resume_lines_are_kept_in_time_order(tmp_path: Path) -> None:
    """The report's endpoint history (down, then back at a resume) survives the merge."""
    paths = []
    for name, at in (("a", LATE), ("b", EARLY)):
        path = write_run(tmp_path / f"{name}.jsonl", [record(f"t-{name}", "gemma3:1b", "ok", 3)])
        with RunWriter(path, expect_size=path.stat().st_size) as writer:
            writer.write(Resume(evalkit_version="0.1.0", at=at))
        paths.append(path)
    merge_runs(paths, tmp_path / "out.jsonl")
    merged = read_run(tmp_path / "out.jsonl")
    assert [r.at for r in merged.resumes] == [EARLY, LATE]
    assert set(merged.records) == {("t-a", "gemma3:1b", JUDGE), ("t-b", "gemma3:1b", JUDGE)}
