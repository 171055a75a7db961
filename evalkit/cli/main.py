"""The command line: each subcommand parses, calls the library, prints.

Nothing heavy is imported at module level, so `--help` and the commands that only read
run files start fast; litellm, datasets and llama.cpp load inside the commands that call
models.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence

from evalkit.cli.cache import add_commands as add_cache
from evalkit.cli.card import add_commands as add_card
from evalkit.cli.common import EXIT_INPUT, EXIT_INTERRUPTED, kept
from evalkit.cli.judges import add_commands as add_judging
from evalkit.cli.merge import add_commands as add_merging
from evalkit.cli.readers import add_commands as add_reading
from evalkit.cli.run import add_commands as add_running

EPILOG = """\
examples:
  python -m evalkit run big-brain
      big-brain on the two tiny embedded models, SmolLM2 135M vs Gemma 3 270M (in-process)
  python -m evalkit run big-brain --profile big-brain
      gemma3:1b (local Ollama) vs gemma3:27b (GPU pod, $BIG_BRAIN_URL), judged by gemma3:27b
  python -m evalkit run big-brain --profile big-brain --endpoint big-brain=https://POD-11434.proxy.runpod.net
      the same, naming the pod's URL on the command line
  python -m evalkit run --resume results/big-brain/RUN.jsonl
      finish the keys that are not ok (a kept answer is only graded again)
  python -m evalkit check --profile big-brain
      is every endpoint up, and does it have every model the profile needs?
  python -m evalkit report results/big-brain/RUN.jsonl -o report.html
      the benchmark report of a run file (compare and show read run files too)
  python -m evalkit card results/big-brain/RUN.jsonl --labels LABELS.jsonl
      can I trust this judge? its biases measured on the run's answers (a judge card)
  python -m evalkit cache stats
      answers and verdicts kept across runs (a re-run asks only what changed)

exit codes: 0 all ok; 2 usage, config or input error; 3 finished with records not ok;
4 compare found a regression; 1 a bug.
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    root = argparse.ArgumentParser(
        prog="evalkit",
        description="LLM-as-judge evaluation for models you run yourself.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from evalkit import __version__

    root.add_argument("--version", action="version", version=f"evalkit {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")

    add_running(commands)
    add_reading(commands)
    add_judging(commands)
    add_card(commands)
    add_cache(commands)
    add_merging(commands)
    return root


def entry() -> None:
    """The process's entry point (`python -m evalkit`, the `evalkit` script): run `main`,
    then exit. A command that only read run files exits without tearing down what it
    read (see `reading_only`): nothing of theirs needs closing (files are closed, output
    is flushed here). Any other command exits with what it built frozen (`gc.freeze`): its
    exit handlers run and its modules are cleared as always, but the interpreter's last
    collections no longer walk every object it holds (0.15 s at the end of a re-run of 200
    tasks, measured); what a command writes it closes itself.

    OpenBLAS runs one thread unless the user says otherwise (OPENBLAS_NUM_THREADS): the
    numpy work of evalkit's commands (bootstrap draws, small fits) gains nothing from its
    thread pool, and starting the pool costs CPU a busy machine does not have: importing
    numpy took 0.16 s of CPU with it and 0.10 s without (2 cores; the same wall time on
    an idle machine, measured)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        code = main()
        if kept:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        gc.freeze()
    except BrokenPipeError:  # `... | head` stopped reading: not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        os._exit(141)  # what a shell reports for a command ended by SIGPIPE
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (what tests call)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_INPUT
    from evalkit.errors import EvalkitError

    try:
        return handler(args)
    except EvalkitError as exc:
        from evalkit.display.console import error
        from evalkit.redact import scrub_text

        error(scrub_text(str(exc)))  # a message may quote a URL given on the command line
        return EXIT_INPUT
    except KeyboardInterrupt:  # `run` sums up and names its resume command itself
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
