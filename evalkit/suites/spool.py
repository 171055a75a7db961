"""Large suites are read by a helper process, once, into a local spool file of validated
tasks; the run streams that file, as often as it needs to.

Why a helper process: `datasets` (with pyarrow and pandas) adds about 116 MB to a process
that imports it, and the pass over a large dataset leaves another 30 to 50 MB in the
allocator; litellm adds 150 MB of its own. A run that imported both sat at 420 MB before
its first request. Read by a helper, the run holds neither, and its memory stays flat
whatever the suite's size. Why a spool: each candidate's lane reads the suite once more,
and a Hub dataset would otherwise stream from the Hub on every pass; the spool costs disk
the size of the suite (about 400 bytes a task), deleted when the process ends.

    python -m evalkit.suites.spool SOURCE SPLIT TARGET    # what load_suite runs
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from evalkit.errors import SuiteError
from evalkit.suites.rows import dataset_rows, validate_rows


def spool_suite(source: str, split: str | None) -> Path:
    """Validate every row of the dataset at `source` into a spool file, in a helper
    process; a bad row raises the SuiteError the helper found (file, row and field)."""
    folder = Path(tempfile.mkdtemp(prefix="evalkit-suite-"))
    atexit.register(shutil.rmtree, folder, True)
    target = folder / "tasks.jsonl"
    helper = [sys.executable, "-m", "evalkit.suites.spool", source, split or "", str(target)]
    done = subprocess.run(helper, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return target
    lines = done.stderr.strip().splitlines() or ["the suite reader failed without a message"]
    try:
        message = json.loads(lines[-1])["error"]
    except (ValueError, KeyError, TypeError):
        message = f"{source}: reading the suite failed: {lines[-1]}"
    raise SuiteError(message)


def write_spool(source: str, split: str | None, target: Path) -> int:
    """In the helper: every validated task as one JSON line; returns how many."""
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for task in validate_rows(dataset_rows(source, split), source):
            out.write(task.model_dump_json() + "\n")
            count += 1
    return count


def main(argv: list[str]) -> int:
    """The helper's entry point; a SuiteError goes to the parent as a JSON line."""
    source, split, target = argv
    try:
        write_spool(source, split or None, Path(target))
    except SuiteError as exc:
        print(json.dumps({"error": str(exc)}), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
