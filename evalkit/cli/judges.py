"""The judging subcommands: `judge` (re-grade a run file), `calibrate` (agreement with
human labels). Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import argparse
import os

from evalkit.cli.common import EXIT_INCOMPLETE, EXIT_INPUT, EXIT_OK, cache_flags

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
    judge.add_argument(
        "--checks",
        choices=["run", "skip"],
        default="run",
        help="rerun checks whose definitions changed (default), or skip them",
    )
    cache_flags(judge)
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

    from evalkit.analysis.summary import summarize_file
    from evalkit.cli.run import close_cache
    from evalkit.display import console
    from evalkit.display import run as run_view
    from evalkit.run.regrade import RegradeOptions, prepare_regrade
    from evalkit.run.runner import RunPlan, execute, probe_plan

    options = {"parent": args.runfile, "endpoints": args.endpoint}
    for name in ("judge", "config", "out", "resume", "force", "checks", "cache"):
        options[name] = getattr(args, name)
    regrade = prepare_regrade(RegradeOptions(**options))

    async def go() -> None:
        # Probe the judge's endpoints only: the candidates are never called.
        probe = RunPlan(tasks=[], candidates=[], judge=regrade.judge, pool=regrade.pool)
        health = await probe_plan(probe)
        run_view.note_health(health)
        writer = regrade.open(health)
        if regrade.manifest.families is not None and not regrade.resuming:
            run_view.note_families(regrade.manifest.families)
        with writer, run_view.progress(regrade.pending(), regrade.manifest.suite.name) as advance:
            await asyncio.gather(*(execute(plan, writer, advance) for plan in regrade.plans))

    try:
        with regrade.pool.secrets.scrubbing_logs():
            asyncio.run(go())
    finally:
        close_cache(regrade.store)
    summary = summarize_file(regrade.path)
    run_view.run_summary(summary)
    console.note(f"run file: {regrade.path} (re-graded from {summary.manifest.parent})")
    if summary.all_ok:
        return EXIT_OK
    console.note(
        "some records are not ok; grade them again with:"
        f" python -m evalkit judge --resume {regrade.path}"
        " (records without an answer need the parent run finished first)"
    )
    return EXIT_INCOMPLETE


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Print the calibration as tables or JSON; exit 2 when no item matches."""
    from evalkit.analysis.calibrate import calibrate_files

    report = calibrate_files(args.runfile, args.labels, top=args.top)
    if args.format == "json":
        print(report.model_dump_json(indent=2))
    else:
        from evalkit.display import judges as judges_view

        judges_view.calibration(report)
    return EXIT_OK if report.matched else EXIT_INPUT
