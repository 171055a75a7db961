"""The commands that only read run files: `compare`, `report`, `show`. They import neither
litellm nor datasets, and exit without tearing down what they read (`cli.entry`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from evalkit.cli.common import EXIT_OK, EXIT_REGRESSION, pass_threshold_flag, reading_only

if TYPE_CHECKING:
    from evalkit.runfile.lines import ScoreFile
    from evalkit.runfile.reader import RunFile

F = TypeVar("F")

READER_EPILOG = """\
examples:
  python -m evalkit compare results/big-brain/OLD.jsonl results/big-brain/NEW.jsonl
  python -m evalkit compare OLD.jsonl NEW.jsonl --format md > comparison.md
  python -m evalkit compare OLD.jsonl NEW.jsonl --fail-on-regression 0.25   # exit 4 in CI
  python -m evalkit compare OLD.jsonl NEW.jsonl --cluster category   # resample categories
  python -m evalkit report results/big-brain/RUN.jsonl -o report.html
  python -m evalkit show RUN.jsonl --candidate 'gemma3:*' --status unavailable --full
"""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """compare, report and show: they only read run files (no litellm, no datasets)."""
    options = {"epilog": READER_EPILOG, "formatter_class": argparse.RawDescriptionHelpFormatter}
    compare = commands.add_parser(
        "compare",
        help="compare two run files: per row, per candidate, with statistics",
        description="Join A and B on (task, candidate, sample); per candidate: means over rows"
        " ok in both, mean delta with a 95% bootstrap interval resampling tasks (or clusters),"
        " the minimum detectable difference, bootstrap p (Holm-adjusted across candidates)"
        " and Wilcoxon signed-rank p.",
        **options,
    )
    compare.add_argument("a", help="the baseline run file")
    compare.add_argument("b", help="the run file compared against it")
    compare.add_argument(
        "--format", choices=["table", "md", "json"], default="table", help="default: table"
    )
    compare.add_argument(
        "--fail-on-regression",
        nargs="?",
        const=0.0,
        type=float,
        metavar="DELTA",
        help="exit 4 when a candidate's mean score drops by more than DELTA (default 0), or"
        " when rows graded ok in A are not ok in B or missing from B",
    )
    compare.add_argument(
        "--allow-missing",
        action="store_true",
        help="with --fail-on-regression: rows graded ok in A that B has no record of only"
        " warn (B ran fewer tasks on purpose); the gate covers the rows in both",
    )
    compare.add_argument(
        "--rows",
        choices=["changed", "all", "none"],
        default="changed",
        help="scored rows to list one by one (json always has all)",
    )
    compare.add_argument(
        "--limit", type=int, default=30, help="rows per terminal table (default 30; 0: all)"
    )
    compare.add_argument(
        "--cluster",
        metavar="category|tag:NAME",
        help="resample clusters of tasks (the suite's category, or the value of tag NAME:...)"
        " instead of tasks",
    )
    compare.add_argument("--suite", help="the suite folder, for --cluster (default: found)")
    compare.set_defaults(handler=_cmd_compare)

    report = commands.add_parser(
        "report",
        help="render a run file as the benchmark report (Markdown or HTML)",
        description="Environment, summary, quality per task, every answer with its verdict,"
        " comparison, latency and key findings.",
        **options,
    )
    report.add_argument("runfile")
    report.add_argument(
        "others",
        nargs="*",
        metavar="RUNFILE",
        help="more run files, for the leaderboard only (it appears with > 2 candidates)",
    )
    pass_threshold_flag(report, "the run's, else 4")
    report.add_argument("--format", choices=["md", "html"], help="default: from -o, else md")
    report.add_argument("-o", "--output", help="write to FILE instead of standard output")
    report.add_argument("--suite", help="the suite folder holding the prompts (default: found)")
    report.set_defaults(handler=_cmd_report)

    show = commands.add_parser(
        "show", help="list a run file's records", description="Records, filtered.", **options
    )
    show.add_argument("runfile")
    show.add_argument("--task", action="append", default=[], help="task id glob (repeatable)")
    show.add_argument("--candidate", action="append", default=[], help="candidate glob")
    show.add_argument(
        "--status",
        action="append",
        default=[],
        choices=["ok", "unavailable", "error", "judge_error"],
        help="status to show (repeatable)",
    )
    show.add_argument("--full", action="store_true", help="full answers and verdicts")
    show.add_argument("--limit", type=int, default=100, help="records to show (0: all)")
    pass_threshold_flag(show, "the run's, else 4")
    show.set_defaults(handler=_cmd_show)

    rank = commands.add_parser(
        "rank",
        help="rank candidates across run files, with bootstrap intervals",
        description="Pairwise run files: Bradley-Terry ratings (ties half) with 95% intervals"
        " resampling tasks, ranks and win rates. Absolute-score run files: mean scores with"
        " intervals. Several run files are pooled.",
        **options,
    )
    rank.add_argument("runfiles", nargs="+", metavar="RUNFILE")
    rank.add_argument("--format", choices=["table", "md", "json"], default="table")
    rank.add_argument(
        "--style-control",
        action="store_true",
        help="fit answer length and markdown as covariates (pairwise runs), as Arena-Hard does",
    )
    rank.add_argument(
        "--cluster",
        metavar="category|tag:NAME",
        help="resample clusters of tasks (the suite's category, or the value of tag NAME:...)",
    )
    rank.add_argument("--suite", help="the suite folder, for --cluster (default: found)")
    rank.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    rank.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    rank.set_defaults(handler=_cmd_rank)


def _read_for_reading(read: Callable[[str], F], *paths: str) -> list[F]:
    """Read run files (with `read_run`, `read_scores` or `read_index`) for a command that
    only reads them, and switch the cyclic garbage collector off for the rest of the command.

    Such a command builds tens of thousands of objects that live until it exits and form
    no reference cycles; with the collector on, its full passes rescan them all again and
    again, which on 10,000 records cost as much as reading them (measured). Reference
    counting still frees everything that is dropped."""
    import gc

    gc.disable()
    runs = [read(path) for path in paths]
    reading_only(runs)
    return runs


def _cmd_compare(args: argparse.Namespace) -> int:
    from evalkit.runfile.prefetch import prefetch

    prefetch(args.a, args.b)  # read while what follows is imported
    from evalkit.analysis import resampling
    from evalkit.analysis.compare import compare_runs
    from evalkit.analysis.comparison import comparison_json
    from evalkit.analysis.gate import gate_warnings, regressions
    from evalkit.errors import ConfigError
    from evalkit.runfile.lines import read_scores

    resampling.load_numpy()  # compare resamples: numpy is imported while A and B are read
    a, b = _read_for_reading(read_scores, args.a, args.b)
    clusters = _clusters(a, args.cluster, args.suite) if args.cluster else None
    try:
        result = compare_runs(a, b, clusters=clusters, cluster=args.cluster)
    except ValueError as exc:
        raise ConfigError(f"compare --cluster {args.cluster}: {exc}") from None
    if args.format == "json":
        sys.stdout.write(comparison_json(result))
    elif args.format == "md":
        from evalkit.report.compare_markdown import render

        sys.stdout.write(render(result, args.rows))
    else:
        from evalkit.display import compare as compare_view

        compare_view.comparison(result, args.rows, args.limit)
    if args.fail_on_regression is None:
        return EXIT_OK
    for line in gate_warnings(result, args.allow_missing, args.fail_on_regression):
        print(f"warning: {line}", file=sys.stderr)
    found = regressions(result, args.fail_on_regression, args.allow_missing)
    for line in found:
        print(f"regression: {line}", file=sys.stderr)
    return EXIT_REGRESSION if found else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from contextlib import suppress
    from pathlib import Path

    from evalkit.runfile.prefetch import prefetch

    prefetch(args.runfile)  # read while what follows is imported
    from evalkit.errors import EvalkitError
    from evalkit.report.build import build_report
    from evalkit.runfile.report_lines import read_report_run

    (run,) = _read_for_reading(read_report_run, args.runfile)
    others = []
    if args.others:  # read in full (the leaderboard pools them): only then is pydantic loaded
        from evalkit.runfile.reader import read_run

        others = _read_for_reading(read_run, *args.others)
    chosen = args.format or ("html" if (args.output or "").endswith((".html", ".htm")) else "md")
    suite = Path(args.suite) if args.suite else None
    report = build_report(run, suite, others=others, threshold=args.pass_threshold)
    reading_only(report)
    if chosen == "html":
        from evalkit.report.html import write
    else:
        from evalkit.report.markdown import write
    if not args.output:
        write(report, sys.stdout)
        return EXIT_OK
    out = Path(args.output)
    partial = out.with_name(f".{out.name}.partial")
    try:  # written beside the target, then renamed: a failure never leaves half a report
        out.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", encoding="utf-8") as handle:
            write(report, handle)
        partial.replace(out)
    except OSError as exc:
        raise EvalkitError(f"{out}: cannot write: {exc.strerror}") from None
    finally:  # every exit path, Ctrl-C (KeyboardInterrupt) included; after the rename a no-op
        with suppress(OSError):  # none there (its folder could not be made): nothing to remove
            partial.unlink(missing_ok=True)
    print(f"report: {out}", file=sys.stderr)
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from evalkit.runfile.prefetch import prefetch

    if not args.full:  # --full reads the file line by line (`read_index`)
        prefetch(args.runfile)  # read while what follows is imported
    from functools import partial

    from evalkit.analysis.show import select
    from evalkit.display import show as show_view
    from evalkit.runfile.index import read_index

    (run,) = _read_for_reading(partial(read_index, keep_lines=args.full), args.runfile)
    selection = select(run, args.task, args.candidate, args.status, args.limit, args.pass_threshold)
    show_view.records(selection, args.full)
    return EXIT_OK


def _cmd_rank(args: argparse.Namespace) -> int:
    from evalkit.analysis.rank_runs import leaderboard
    from evalkit.errors import ConfigError
    from evalkit.runfile.reader import read_run

    runs = _read_for_reading(read_run, *args.runfiles)
    clusters = _clusters(runs[0], args.cluster, args.suite) if args.cluster else None
    try:
        board = leaderboard(
            runs,
            style_control=args.style_control,
            clusters=clusters,
            resamples=args.resamples,
            seed=args.seed,
        )
    except ValueError as exc:
        raise ConfigError(f"rank: {exc}") from None
    reading_only(board)
    if args.format == "json":
        payload = {"runs": args.runfiles, **board.model_dump(mode="json")}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif args.format == "md":
        from evalkit.report.rank_markdown import render

        sys.stdout.write(render(board, args.runfiles) + "\n")
    else:
        from evalkit.display.rank import leaderboard as show_leaderboard

        show_leaderboard(board, args.runfiles)
    return EXIT_OK


def _clusters(run: RunFile | ScoreFile, how: str, suite: str | None) -> dict[str, str]:
    """Task id -> cluster: the suite's category, or for tag:NAME the value of the task's
    `NAME:value` tag ("(none)" when a task has none)."""
    from pathlib import Path

    from evalkit.errors import ConfigError
    from evalkit.report.suite_text import locate_suite, read_suite

    if how != "category" and not how.startswith("tag:"):
        raise ConfigError(f"--cluster {how!r}: expected category or tag:NAME")
    info = run.manifest.suite
    folder = locate_suite(info, Path(run.path), Path(suite) if suite else None)
    text = read_suite(info, folder)
    if not text.tasks:
        raise ConfigError(f"--cluster needs the suite's tasks: {text.note}")
    prefix = how.removeprefix("tag:") + ":"
    clusters = {}
    for task in text.tasks.values():
        if how == "category":
            clusters[task.id] = task.category or "(none)"
        else:
            values = [t.removeprefix(prefix) for t in task.tags if t.startswith(prefix)]
            clusters[task.id] = values[0] if values else "(none)"
    return clusters
