"""`card`: put a judge through probes built from a run file's answers (no candidate is
called), record every grading in a card run file beside the run, and print the card.
Standard output holds the card only; progress and notes go to standard error."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from evalkit.cli.common import EXIT_INCOMPLETE, EXIT_OK

if TYPE_CHECKING:
    from evalkit.analysis.card_models import JudgeCard

CARD_EPILOG = """\
examples:
  python -m evalkit card results/big-brain/RUN.jsonl
      the run's own judge, probed on the run's answers; the card as a table
  python -m evalkit card RUN.jsonl --judge poll --labels LABELS.jsonl --format md -o card.md
      another judge (a panel), with agreement and self-preference against expert labels
  python -m evalkit card suites/big-brain/runs/seed-gemma3-1b.jsonl --judge embedded \\
      --labels suites/big-brain/labels/seed-expert-grades.jsonl --samples 2
      the embedded model as judge of the seed benchmark's answers (slow on a CPU)

The gradings go to RUN.card-JUDGE.jsonl beside the run file. Running the same command
again finishes a card that was interrupted and rebuilds a finished one without a call.
"""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `card`."""
    card = commands.add_parser(
        "card",
        help="measure a judge's biases on a run's answers (a judge card)",
        description="Probe a judge with the answers already in RUNFILE: validity,"
        " repeatability, position, verbosity, injection, self-preference and agreement, each"
        " with a 95% interval and a flag when the interval excludes zero in the biased"
        " direction.",
        epilog=CARD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    card.add_argument("runfile", help="a run file whose answers are the probes' material")
    card.add_argument("--judge", help="judge name or TOML path (default: the run's own)")
    card.add_argument("--labels", metavar="FILE", help="expert labels of the run's answers")
    card.add_argument(
        "--versus", metavar="RUNFILE", help="another judge's run over the same answers"
    )
    card.add_argument(
        "--samples", type=int, help="gradings of each answer as it is (default 3, at least 2)"
    )
    card.add_argument("--limit", type=int, help="probe only the first N tasks' answers")
    card.add_argument("--format", choices=["table", "md", "json"], help="default: table")
    card.add_argument("-o", "--output", metavar="FILE", help="write the card to FILE (md, json)")
    card.add_argument("--config", help="config file (evalkit.toml)")
    card.add_argument(
        "--endpoint", action="append", default=[], metavar="NAME=URL", help="override a URL"
    )
    card.add_argument("--force", action="store_true", help="go on if the suite/judge changed")
    card.set_defaults(handler=cmd_card)


def cmd_card(args: argparse.Namespace) -> int:
    """Check every input, make the calls still to make, then compute and print the card;
    exit 3 when some calls could not be made (the card is partial)."""
    import asyncio

    from evalkit.analysis.card import build_card
    from evalkit.analysis.labels import read_labels
    from evalkit.display import card as card_view
    from evalkit.display import run as run_view
    from evalkit.run.card import CardOptions, prepare_card
    from evalkit.run.runner import RunPlan, probe_plan
    from evalkit.runfile.reader import read_run

    _check_counts(args)
    labels = read_labels(args.labels) if args.labels else None
    versus = read_run(args.versus) if args.versus else None
    options = {"run": args.runfile, "endpoints": args.endpoint}
    for name in ("judge", "config", "samples", "limit", "force"):
        options[name] = getattr(args, name)
    card = prepare_card(CardOptions(**options))
    if args.judge is None and card.judge.info() != card.parent.manifest.judge:
        card_view.status(
            f"note: judge {card.judge.name}'s definition (model, prompt or settings) changed"
            " since the run was graded; the card measures it as it is now"
        )

    async def go() -> None:
        """Probe the judge's endpoints, then make the calls still to make."""
        probe = RunPlan(tasks=[], candidates=[], judge=card.judge, pool=card.pool)
        health = await probe_plan(probe)  # the judge's endpoints only
        for line in health:
            if not line.reachable or line.missing:
                missing = f"missing {', '.join(line.missing)}" if line.missing else line.error
                card_view.status(f"{line.endpoint}: {missing}")
        with (
            card.open(health) as writer,
            run_view.progress(card.pending(), f"card {card.judge.name}", stderr=True) as advance,
        ):
            await card.execute(writer, advance)

    if card.pending() or card.carried or not card.resuming:
        asyncio.run(go())
    found = build_card(read_run(card.path), labels=labels, labels_path=args.labels, versus=versus)
    _print(found, args.format, args.output)
    card_view.status(f"card run file: {card.path}")
    return EXIT_INCOMPLETE if found.not_done else EXIT_OK


def _check_counts(args: argparse.Namespace) -> None:
    """--samples and --limit within bounds, before anything is read."""
    from evalkit.errors import ConfigError

    for flag, value, least, most in (
        ("--samples", args.samples, 2, 25),
        ("--limit", args.limit, 1, None),
    ):
        if value is not None and not least <= value <= (most or value):
            bound = f"between {least} and {most}" if most else f"at least {least}"
            raise ConfigError(f"{flag} {value}: must be {bound}")


def _print(found: JudgeCard, chosen: str | None, output: str | None) -> None:
    """The card on standard output, or written to FILE (md, or json for a .json FILE)."""
    if output is None:
        if chosen == "json":
            sys.stdout.write(found.model_dump_json(indent=2) + "\n")
        elif chosen == "md":
            from evalkit.report.card_markdown import render

            sys.stdout.write(render(found))
        else:
            from evalkit.display import card as card_view

            card_view.card(found)
        return
    from pathlib import Path

    from evalkit.errors import EvalkitError
    from evalkit.report.card_markdown import render

    as_json = chosen == "json" or (chosen is None and output.endswith(".json"))
    text = found.model_dump_json(indent=2) + "\n" if as_json else render(found)
    out = Path(output)
    partial = out.with_name(f".{out.name}.partial")
    try:  # written beside the target, then renamed: a failure never leaves half a card
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise EvalkitError(f"{out}: cannot write: {exc.strerror}") from None
    print(f"card: {out}", file=sys.stderr)
