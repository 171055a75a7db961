"""`merge`: join run files of one run (the shards of `run --shard I/N`, or any run files of
the same suite, profile and judge) into one run file. It only reads and writes run files:
no litellm, no datasets."""

from __future__ import annotations

import argparse

from evalkit.cli.common import EXIT_OK

MERGE_EPILOG = """\
examples:
  python -m evalkit run big-brain --shard 1/2 --out shard1.jsonl     # machine 1
  python -m evalkit run big-brain --shard 2/2 --out shard2.jsonl     # machine 2
  python -m evalkit merge shard1.jsonl shard2.jsonl -o results/big-brain/run.jsonl
  python -m evalkit run --resume results/big-brain/run.jsonl         # finish what is not ok
"""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `merge`."""
    merge = commands.add_parser(
        "merge",
        help="join run files of one run (shards) into one run file",
        description="Join run files of the same suite, profile and judge: one line per key,"
        " the latest ok record winning (an ok over any record not ok). Files whose"
        " manifests differ are refused with what differs, unless --force.",
        epilog=MERGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument("runfiles", nargs="+", metavar="RUNFILE", help="the run files to join")
    merge.add_argument("-o", "--output", required=True, help="the merged run file (new)")
    merge.add_argument("--force", action="store_true", help="merge although the manifests differ")
    merge.set_defaults(handler=_cmd_merge)


def _cmd_merge(args: argparse.Namespace) -> int:
    from evalkit.display import console
    from evalkit.runfile.merge import merge_runs

    result = merge_runs(args.runfiles, args.output, force=args.force)
    for path in result.partial:
        console.warn(f"{path}: ended in a partial line (a crash mid-write), which was skipped")
    pairs = f", {result.pairs} pair(s)" if result.pairs else ""
    console.note(
        f"merged {len(args.runfiles)} run file(s) into {result.path}: {result.records}"
        f" record(s){pairs}, one per key ({result.superseded} superseded)"
    )
    if result.manifest.pairwise is None:
        from evalkit.analysis.summary import summarize_file
        from evalkit.display import run as run_view

        run_view.run_summary(summarize_file(result.path))
    return EXIT_OK
