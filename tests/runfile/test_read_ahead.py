"""runfile.prefetch: bytes read in a background thread are the file's, errors are reading's."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from evalkit.runfile import prefetch


def test_prefetched_bytes_are_the_files_and_are_handed_over_once(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b"one\n" * 100_000)
    second.write_bytes(b"")
    prefetch.prefetch(first, str(second), first)
    assert prefetch.file_bytes(str(second)) == b""
    assert prefetch.file_bytes(first) == b"one\n" * 100_000
    first.write_bytes(b"changed\n")  # a second reader reads the file again
    assert prefetch.file_bytes(first) == b"changed\n"
    assert not prefetch._reads


def test_a_file_that_cannot_be_read_raises_what_reading_raises(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(FileNotFoundError) as direct:
        missing.read_bytes()
    prefetch.prefetch(missing, tmp_path)
    with pytest.raises(FileNotFoundError) as fetched:
        prefetch.file_bytes(missing)
    assert (fetched.value.errno, fetched.value.filename) == (direct.value.errno, str(missing))
    with pytest.raises(IsADirectoryError):
        prefetch.file_bytes(tmp_path)


def test_compare_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from evalkit.cli.main import main

    code = main(["compare", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
    assert code != 0
    err = capsys.readouterr().err
    assert "a.jsonl" in err and "No such file" in err


def test_any_error_of_the_read_is_raised_to_the_reader_which_never_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"x\n")

    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("no room for the file")

    monkeypatch.setattr(prefetch, "open", broken, raising=False)
    prefetch.prefetch(path)
    raised: list[BaseException] = []

    def read() -> None:
        try:
            prefetch.file_bytes(path)
        except MemoryError as exc:
            raised.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "file_bytes waits for a read that failed"
    assert [str(exc) for exc in raised] == ["no room for the file"]
