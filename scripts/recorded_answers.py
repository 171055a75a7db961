"""Build a run file of recorded answers (no verdicts) from an answers JSONL, so that
`python -m evalkit judge RUNFILE --judge NAME` can grade them and `calibrate` can hold the
judge to expert labels.

    python scripts/recorded_answers.py suites/big-brain/answers/seed-gemma3-1b.jsonl \\
        --suite big-brain --out suites/big-brain/runs/seed-gemma3-1b.jsonl \\
        --recorded-at 2026-04-14 --notes "gemma3:1b on local Ollama, ..."

An answers line is {"task_id", "candidate", "text", "latency_ms"}. Each becomes a record
with the answer kept, no verdict, status "unavailable" and the error
{kind: "NotGraded", role: "judge"}: the judge was not there, which is the truth, and it is
the status under which a kept answer is graded rather than asked for again. The judge is
named "ungraded". The output depends only on the inputs (the run id is the output file's
stem, every timestamp is --recorded-at), so regenerating it gives the same bytes unless
the suite, the record format or evalkit's version changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evalkit import __version__
from evalkit.errors import EvalkitError, InputError
from evalkit.runfile.writer import RunWriter
from evalkit.suites.loader import load_suite
from evalkit.types import Answer, ErrorInfo, JudgeInfo, ModelInfo, Record, RunManifest

UNGRADED = "ungraded"
NOT_GRADED = ErrorInfo(
    kind="NotGraded",
    message="recorded answer, not graded yet: grade it with python -m evalkit judge RUNFILE",
    role="judge",
)


def read_answers(path: Path, task_ids: set[str]) -> list[tuple[str, str, Answer]]:
    """(task_id, candidate, answer) per line; an unknown task or a repeat is an error."""
    found: list[tuple[str, str, Answer]] = []
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = (row["task_id"], row["candidate"])
            answer = Answer(text=row["text"], latency_ms=row.get("latency_ms"))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not an answers line: {exc}", path=str(path), line=number) from None
        if key[0] not in task_ids:
            raise InputError(f"task_id {key[0]!r} is not in the suite", path=str(path), line=number)
        if key in seen:
            raise InputError(f"a second answer for {key}", path=str(path), line=number)
        seen.add(key)
        found.append((*key, answer))
    return found


def recorded_run(
    answers: Path, suite_ref: str, base_dir: Path, out: Path, recorded_at: str, notes: str
) -> tuple[RunManifest, list[Record]]:
    """The manifest and records of the recorded answers."""
    suite = load_suite(suite_ref, base_dir)
    rows = read_answers(answers, {task.id for task in suite.tasks})
    candidates = list(dict.fromkeys(candidate for _, candidate, _ in rows))
    manifest = RunManifest(
        run_id=out.stem,
        evalkit_version=__version__,
        suite=suite.info,
        profile="recorded",
        candidates=candidates,
        models={
            c: ModelInfo(name=c, endpoint="recorded", kind="recorded", litellm_model=c, notes=notes)
            for c in candidates
        },
        judge=JudgeInfo(name=UNGRADED, kind="none"),
        started_at=recorded_at,
    )
    order = {task.id: i for i, task in enumerate(suite.tasks)}
    records = [
        Record(
            task_id=task_id,
            candidate=candidate,
            judge=UNGRADED,
            status="unavailable",
            answer=answer,
            error=NOT_GRADED,
            started_at=recorded_at,
            finished_at=recorded_at,
        )
        for task_id, candidate, answer in sorted(rows, key=lambda r: order[r[0]])
    ]
    return manifest, records


def main(argv: list[str] | None = None) -> int:
    """Write the run file; exit 2 with a message on bad input."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", type=Path, help="answers JSONL")
    parser.add_argument("--suite", required=True, help="the suite the answers answer")
    parser.add_argument("--out", type=Path, required=True, help="the run file to (re)write")
    parser.add_argument("--recorded-at", default="2026-04-14", help="date or ISO time, UTC")
    parser.add_argument("--notes", default="answers recorded outside evalkit", help="provenance")
    parser.add_argument("--base-dir", type=Path, default=Path.cwd(), help="where suites/ is")
    args = parser.parse_args(argv)
    stamp = args.recorded_at if "T" in args.recorded_at else f"{args.recorded_at}T00:00:00.000"
    stamp = stamp if "+" in stamp or stamp.endswith("Z") else f"{stamp}+00:00"
    try:
        manifest, records = recorded_run(
            args.answers, args.suite, args.base_dir, args.out, stamp, args.notes
        )
    except EvalkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.unlink(missing_ok=True)
    with RunWriter(args.out, manifest) as writer:
        for record in records:
            writer.write(record)
    print(f"{args.out}: {len(records)} recorded answers of {', '.join(manifest.candidates)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
