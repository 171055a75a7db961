"""The judging subcommands: `judge` (re-grade a run file), `calibrate` (agreement with
human labels) and `run --pairwise A,B`. Kept apart from cli.py, which registers them;
like it, this module imports nothing heavy until a command runs.
"""

from __future__ import annotations

import argparse
import os

from evalkit.cli import EXIT_INCOMPLETE, EXIT_INPUT, EXIT_OK

RESUME_HINT = "python -m evalkit run --resume "
JUDGE_EPILOG = """\
examples:
  python -m evalkit judge results/big-brain/RUN.jsonl --judge gemma3-27b
  python -m evalkit judge suites/big-brain/runs/seed-gemma3-1b.jsonl --judge embedded \\
      --out results/seed-embedded.jsonl
  python -m evalkit judge --resume results/seed-embedded.jsonl
"""

CALIBRATE_EPILOG = """\
examples:
  python -m evalkit calibrate results/seed-embedded.jsonl \\
      --labels suites/big-brain/labels/seed-expert-grades.jsonl
  python -m evalkit calibrate RUN.jsonl --labels LABELS.jsonl --format json > calibration.json
"""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `judge` and `calibrate`."""
    judge = commands.add_parser(
        "judge",
        help="re-grade the answers in a run file with another judge",
        description="Grade the answers already in RUNFILE with another judge into a new run"
        " file whose manifest names RUNFILE as its parent. No candidate model is called.",
        epilog=JUDGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    judge.add_argument("runfile", nargs="?", help="the run file whose answers to grade")
    judge.add_argument(
        "--judge", default=os.environ.get("EVALKIT_JUDGE"), help="judge name or judge TOML path"
    )
    judge.add_argument(
        "--config", default=os.environ.get("EVALKIT_CONFIG"), help="config file (evalkit.toml)"
    )
    judge.add_argument(
        "--endpoint", action="append", default=[], metavar="NAME=URL", help="override a URL"
    )
    judge.add_argument("--out", help="new run file (default: results/<suite>/<run-id>.jsonl)")
    judge.add_argument("--resume", metavar="CHILD", help="finish a re-grade's keys not yet ok")
    judge.add_argument("--force", action="store_true", help="go on if the suite/judge changed")
    judge.set_defaults(handler=cmd_judge)

    calibrate = commands.add_parser(
        "calibrate",
        help="measure a run's judge against human labels",
        description="Agreement of the run's judge with expert grades of the same answers.",
        epilog=CALIBRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    calibrate.add_argument("runfile", help="a graded run file")
    calibrate.add_argument("--labels", required=True, help="labels JSONL (see README)")
    calibrate.add_argument("--format", choices=["table", "json"], default="table")
    calibrate.add_argument("--top", type=int, default=5, help="most-disagreeing items to show")
    calibrate.set_defaults(handler=cmd_calibrate)


def cmd_judge(args: argparse.Namespace) -> int:
    """Re-grade, showing progress; exit 3 when some records are not ok."""
    import asyncio

    from evalkit import display, display_run
    from evalkit.regrade import RegradeOptions, prepare_regrade
    from evalkit.runner import RunPlan, execute, probe_plan
    from evalkit.summary import summarize_file

    options = {"parent": args.runfile, "endpoints": args.endpoint}
    for name in ("judge", "config", "out", "resume", "force"):
        options[name] = getattr(args, name)
    regrade = prepare_regrade(RegradeOptions(**options))

    async def go() -> None:
        # Probe the judge's endpoints only: the candidates are never called.
        probe = RunPlan(tasks=[], candidates=[], judge=regrade.judge, pool=regrade.pool)
        health = await probe_plan(probe)
        display_run.note_health(health)
        with (
            regrade.open(health) as writer,
            display_run.progress(regrade.pending(), regrade.manifest.suite.name) as advance,
        ):
            await asyncio.gather(*(execute(plan, writer, advance) for plan in regrade.plans))

    asyncio.run(go())
    summary = summarize_file(regrade.path)
    display_run.run_summary(summary)
    display.note(f"run file: {regrade.path} (re-graded from {summary.manifest.parent})")
    if summary.all_ok:
        return EXIT_OK
    display.note(
        "some records are not ok; grade them again with:"
        f" python -m evalkit judge --resume {regrade.path}"
        " (records without an answer need the parent run finished first)"
    )
    return EXIT_INCOMPLETE


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Print the calibration as tables or JSON; exit 2 when no item matches."""
    from evalkit.calibrate import calibrate_files

    report = calibrate_files(args.runfile, args.labels, top=args.top)
    if args.format == "json":
        print(report.model_dump_json(indent=2))
    else:
        from evalkit import display_judges

        display_judges.calibration(report)
    return EXIT_OK if report.matched else EXIT_INPUT


def run_pairwise(args: argparse.Namespace, resume_pair: tuple[str, str] | None) -> int:
    """`run SUITE --pairwise A,B` (or the resume of such a run)."""
    import asyncio

    from evalkit import display, display_judges, display_run
    from evalkit.errors import ConfigError
    from evalkit.pairs import summarize_pairs
    from evalkit.pairwise import execute_pairs, pending_pairs, prepare_pairwise
    from evalkit.prepare import RunOptions
    from evalkit.runfile import read_run
    from evalkit.runner import probe_plan

    pair = _pair(args.pairwise) if args.pairwise else resume_pair
    if pair is None or args.candidates:
        raise ConfigError("--pairwise takes two candidates, A,B, and replaces --candidates")
    options = {"candidates": list(pair), "endpoints": args.endpoint}
    for name in ("suite", "config", "profile", "judge", "limit", "out", "resume", "force"):
        options[name] = getattr(args, name)
    run = prepare_pairwise(RunOptions(**options))
    prepared = run.prepared

    async def go() -> None:
        health = await probe_plan(prepared.plan)
        display_run.note_health(health)
        pending = len(pending_pairs(prepared.plan, run.done))
        with (
            prepared.open(health) as writer,
            display_run.progress(pending, prepared.manifest.suite.name) as advance,
        ):
            await execute_pairs(prepared.plan, run.judge, writer, run.done, advance)

    asyncio.run(go())
    records = list(read_run(prepared.path).pairs.values())
    display_judges.pairwise(summarize_pairs(records))
    display.note(f"run file: {prepared.path}")
    if all(r.status == "ok" for r in records):
        return EXIT_OK
    display.note(f"some pairs are not judged; finish them with: {RESUME_HINT}{prepared.path}")
    return EXIT_INCOMPLETE


def pairwise_resume(path: str | None) -> tuple[str, str] | None:
    """The (A, B) of a pairwise run file being resumed, or None for any other run."""
    if not path:
        return None
    from pydantic import ValidationError

    from evalkit.types import RunManifest

    try:  # only line 1: the whole file is read (and any error reported) by prepare()
        with open(path, encoding="utf-8") as handle:
            info = RunManifest.model_validate_json(handle.readline()).pairwise
    except (OSError, ValueError, ValidationError):
        return None
    return (info.a, info.b) if info else None


def _pair(text: str) -> tuple[str, str]:
    from evalkit.errors import ConfigError

    names = [name.strip() for name in text.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise ConfigError(f"--pairwise {text!r}: expected two different candidates, A,B")
    return names[0], names[1]
