"""`run` (answer and grade a suite; `--pairwise` judges two candidates side by side) and
`check` (probe the endpoints a profile uses). Nothing heavy is imported until a command
runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.cli.common import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RESUME_HINT,
    cache_flags,
    config_flags,
    pass_threshold_flag,
)

if TYPE_CHECKING:
    from evalkit.cache import CacheStore
    from evalkit.run.prepare import PreparedRun
    from evalkit.runfile.writer import RunWriter
    from evalkit.types import EndpointHealth, ModelFamilies, PairRecord, PairwiseInfo

RUN_EPILOG = """\
examples:
  python -m evalkit run big-brain --limit 1
  python -m evalkit run suites/engineering --candidates gemma3:1b --judge embedded
  python -m evalkit run big-brain --profile big-brain --out results/today.jsonl
  BIG_BRAIN_URL=https://POD-11434.proxy.runpod.net \\
      python -m evalkit run big-brain --profile big-brain
  python -m evalkit run --resume results/big-brain/RUN.jsonl \\
      --endpoint big-brain=https://NEW-POD-11434.proxy.runpod.net
  python -m evalkit run big-brain --profile big-brain --pairwise gemma3:1b,gemma3:27b
      both answers to each task side by side, judged in both orders
  python -m evalkit run big-brain --samples 5 --pass-threshold 4
      each candidate answers each task 5 times (seed + i): pass^5 and pass@5 per candidate
  python -m evalkit run big-brain --shard 1/2 --out shard1.jsonl     # on machine 1
  python -m evalkit run big-brain --shard 2/2 --out shard2.jsonl     # on machine 2
  python -m evalkit merge shard1.jsonl shard2.jsonl -o run.jsonl     # then, anywhere
"""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `run` and `check`."""
    run = commands.add_parser(
        "run",
        help="answer and grade a suite into a run file",
        description="Answer every task with every candidate, grade each answer, write JSONL.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("suite", nargs="?", help="suite: a folder in suites/, a path, or a hub id")
    config_flags(run)
    run.add_argument("--candidates", help="comma-separated models to test (default: profile's)")
    run.add_argument(
        "--judge", default=os.environ.get("EVALKIT_JUDGE"), help="judge name or judge TOML path"
    )
    run.add_argument("--limit", type=int, help="only the first N tasks")
    run.add_argument("--out", help="run file path (default: results/<suite>/<run-id>.jsonl)")
    run.add_argument("--resume", metavar="RUNFILE", help="finish the keys of RUNFILE not yet ok")
    run.add_argument("--force", action="store_true", help="resume even if settings changed")
    run.add_argument(
        "--checks",
        choices=["run", "skip"],
        default="run",
        help="run the suite's checks (python ones in the sandbox; default) or skip them",
    )
    cache_flags(run)
    run.add_argument(
        "--samples",
        type=_positive,
        metavar="K",
        help="answers per task and candidate, sample i with the model's seed + i (default 1)",
    )
    pass_threshold_flag(run, "config's, else 4")
    run.add_argument(
        "--shard",
        metavar="I/N",
        help="only shard I of N of the tasks (dealt by a stable hash of their ids), for N"
        " machines; join the run files with `evalkit merge`",
    )
    run.add_argument(
        "--pairwise",
        metavar="A,B[,C...]",
        help="judge candidates' answers side by side, both orders: every pair of them",
    )
    run.add_argument(
        "--baseline", metavar="NAME", help="with --pairwise: judge each candidate against NAME only"
    )
    run.set_defaults(handler=cmd_run)

    check = commands.add_parser(
        "check",
        help="probe the endpoints a profile uses",
        description="Reachability, version and models of each endpoint, and what is missing.",
    )
    config_flags(check)
    check.add_argument("--judge", default=os.environ.get("EVALKIT_JUDGE"), help="judge to check")
    check.set_defaults(handler=cmd_check)


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import time

    prefetch_suite(args)
    resumed = pairwise_resume(args.resume)
    if args.pairwise or resumed:
        if args.samples is not None:
            from evalkit.errors import ConfigError

            raise ConfigError(
                "--samples asks for repeated answers graded one by one, not --pairwise"
            )
        return run_pairwise(args, resumed)
    if args.baseline:
        from evalkit.errors import ConfigError

        raise ConfigError("--baseline goes with --pairwise A,B[,C...]")
    from evalkit.analysis.summary import summarize_file
    from evalkit.display import console
    from evalkit.display import run as run_view
    from evalkit.run.prepare import RunOptions
    from evalkit.run.runner import execute, probe_plan
    from evalkit.run.setup import begin

    options = RunOptions(
        suite=args.suite,
        config=args.config,
        profile=args.profile,
        candidates=[c.strip() for c in args.candidates.split(",")] if args.candidates else None,
        judge=args.judge,
        endpoints=args.endpoint,
        limit=args.limit,
        out=args.out,
        resume=args.resume,
        force=args.force,
        checks=args.checks,
        cache=args.cache,
        samples=args.samples,
        pass_threshold=args.pass_threshold,
        shard=args.shard,
    )
    setup = begin(options)
    with setup.pool.secrets.scrubbing_logs():  # while the suite's helper may still read it
        health = asyncio.run(probe_plan(setup.probe_plan()))
    build_validators()
    prepared = setup.finish()
    plan = prepared.plan

    async def go() -> None:
        run_view.note_health(health)
        families = prepared.families(health)
        run_view.note_families(families)
        with (
            opened(prepared, health, families) as writer,
            run_view.progress(plan.pending(), prepared.manifest.suite.name) as advance,
        ):
            await execute(plan, writer, advance)

    interrupted = False
    started = time.monotonic()
    try:
        with plan.pool.secrets.scrubbing_logs():
            asyncio.run(go())
    except KeyboardInterrupt:  # what is durable is summed up, with the way to finish
        interrupted = True
    finally:
        close_cache(prepared.store)
    elapsed = time.monotonic() - started
    summary = summarize_file(prepared.path)
    run_view.run_summary(summary)
    expected = len(plan.tasks) * len(plan.candidates) * prepared.manifest.samples
    complete = summary.records >= expected and summary.all_ok and not interrupted
    console.note(f"run file: {prepared.path} ({elapsed // 60:.0f} min {elapsed % 60:.0f} s)")
    if not complete:
        why = "interrupted" if interrupted else "some records are not ok"
        console.note(f"{why}; finish them with: {RESUME_HINT}{prepared.path}")
    return EXIT_INTERRUPTED if interrupted else EXIT_OK if complete else EXIT_INCOMPLETE


def prefetch_suite(args: argparse.Namespace) -> None:
    """Start reading the suite in a helper process before anything heavy is imported: it
    loads `datasets` on one core while this one imports evalkit, loads the config and the
    judge; `prepare` takes what it read (see evalkit.suites.spool). A resume names its
    suite in its run file and reads it in `prepare`."""
    if not args.suite or args.resume:
        return
    from evalkit.suites.spool import prefetch

    # where config.find_config looks (importing it would import pydantic first); a config
    # found elsewhere only means no prefetch, and its errors come from `prepare`
    config = Path(args.config) if args.config else Path.cwd() / "evalkit.toml"
    if config.is_file():
        prefetch(args.suite, config.parent)


def build_validators() -> None:
    """Build the validators pydantic would build on first use once the suite is read
    (forward references make them lazy), while the suite's helper is still reading it:
    about 25 ms off the end of a re-run when the machine has a core free (measured)."""
    from evalkit.analysis.summary import CandidateSummary, RunSummary
    from evalkit.cache.entries import CachedVerdict
    from evalkit.run.prepare import PreparedRun
    from evalkit.types import Answer, ModelFamilies, ModelInfo, Record, RunManifest, SuiteInfo, Task

    models = (Task, SuiteInfo, ModelInfo, RunManifest, PreparedRun, ModelFamilies, Answer, Record)
    for model in (*models, CachedVerdict, CandidateSummary, RunSummary):
        model.model_rebuild(raise_errors=False)


def close_cache(store: CacheStore | None) -> None:
    """Close the cache file, saying first if some of its reads or writes failed (they were
    treated as misses, so those keys were asked for)."""
    if store is None:
        return
    if store.failures:
        from evalkit.display import console

        console.note(f"cache {store.path}: {store.failures} read(s) or write(s) failed")
    store.close()


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio

    from evalkit.checks import sandbox_status
    from evalkit.config import apply_endpoint_overrides, load_config, profile_config
    from evalkit.display import run as run_view
    from evalkit.endpoints.pool import Pool
    from evalkit.judges.loading import load_judge
    from evalkit.run.runner import RunPlan, probe_plan

    loaded = apply_endpoint_overrides(load_config(args.config), args.endpoint)
    _, profile = profile_config(loaded, args.profile)
    pool = Pool(loaded)
    judge = load_judge(args.judge or profile.judge, pool)
    plan = RunPlan(tasks=[], candidates=profile.candidates, judge=judge, pool=pool)
    with pool.secrets.scrubbing_logs():
        health = asyncio.run(probe_plan(plan))
    run_view.health_table(health)
    status = sandbox_status(loaded.config.sandbox)
    run_view.sandbox_line(status.name, status.works, status.detail, status.advice)
    ready = all(h.reachable and not h.missing for h in health)
    return EXIT_OK if ready else EXIT_INCOMPLETE


def run_pairwise(args: argparse.Namespace, resumed: PairwiseInfo | None) -> int:
    """`run SUITE --pairwise A,B[,C...]` (or the resume of such a run)."""
    import asyncio

    from evalkit.display import console
    from evalkit.display import run as run_view
    from evalkit.errors import ConfigError
    from evalkit.run.pairwise import count_pending_pairs, execute_pairs, prepare_pairwise
    from evalkit.run.prepare import RunOptions
    from evalkit.run.runner import probe_plan

    if args.candidates:
        raise ConfigError("--pairwise takes the candidates, A,B[,C...], and replaces --candidates")
    if resumed is not None:
        names, baseline = resumed.candidates or [resumed.a, resumed.b], resumed.baseline
    else:
        names, baseline = _candidates(args.pairwise), args.baseline
    options = {"candidates": names, "endpoints": args.endpoint, "cache": args.cache}
    for name in ("suite", "config", "profile", "judge", "limit", "out", "resume", "force", "shard"):
        options[name] = getattr(args, name)
    run = prepare_pairwise(RunOptions(**options), baseline)
    prepared = run.prepared

    async def go() -> None:
        health = await probe_plan(prepared.plan)
        run_view.note_health(health)
        families = prepared.families(health)
        run_view.note_families(families)
        pending = count_pending_pairs(prepared.plan, run.pairs, run.done)
        with (
            opened(prepared, health, families) as writer,
            run_view.progress(pending, prepared.manifest.suite.name) as advance,
        ):
            await execute_pairs(prepared.plan, run.judge, run.pairs, writer, run.done, advance)

    try:
        with prepared.plan.pool.secrets.scrubbing_logs():
            asyncio.run(go())
    finally:
        close_cache(prepared.store)
    records = _pairwise_summary(prepared.path, names)
    console.note(f"run file: {prepared.path}")
    if all(r.status == "ok" for r in records):
        return EXIT_OK
    console.note(f"some pairs are not judged; finish them with: {RESUME_HINT}{prepared.path}")
    return EXIT_INCOMPLETE


def opened(
    prepared: PreparedRun, health: list[EndpointHealth], families: ModelFamilies
) -> RunWriter:
    """The run file opened for writing; on a resume, a warning for each model that is no
    longer the one the run began with (its records will mix both)."""
    from evalkit.display import console

    writer = prepared.open(health, families)
    for change in prepared.changed:
        console.warn(
            f"{change.message} since {prepared.path} was begun;"
            " its records will mix both (start a new run to keep them apart)"
        )
    return writer


def _pairwise_summary(path: Path, names: list[str]) -> list[PairRecord]:
    """Print a pairwise run's outcome: winners and rates for two candidates, the
    leaderboard for more. Returns the run's pair records."""
    from evalkit.analysis.pairwise import summarize_pairs
    from evalkit.display import console
    from evalkit.display import judges as judges_view
    from evalkit.runfile.reader import read_run

    run = read_run(path)
    records = list(run.pairs.values())
    if len(names) == 2:
        judges_view.pairwise(summarize_pairs(records))
    elif any(r.status == "ok" for r in records):
        from evalkit.analysis.rank_runs import leaderboard
        from evalkit.display.rank import leaderboard as show_leaderboard

        show_leaderboard(leaderboard([run]), [str(path)])
    marks = [mark for r in records for mark in (r.cached_answer_a_from, r.cached_answer_b_from)]
    if cached := sum(mark is not None for mark in marks):
        console.note(
            f"from the cache: {cached:,} answer(s) of {len(records):,} pair(s) (picks are never"
            " cached; --refresh asks again, --no-cache leaves the cache alone)"
        )
    return records


def pairwise_resume(path: str | None) -> PairwiseInfo | None:
    """What a pairwise run file being resumed compares, or None for any other run."""
    if not path:
        return None
    from pydantic import ValidationError

    from evalkit.types import RunManifest

    try:  # only line 1: the whole file is read (and any error reported) by prepare()
        with open(path, encoding="utf-8") as handle:
            return RunManifest.model_validate_json(handle.readline()).pairwise
    except (OSError, ValueError, ValidationError):
        return None


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def _candidates(text: str) -> list[str]:
    from evalkit.errors import ConfigError

    names = [name.strip() for name in text.split(",")]
    if len(names) < 2 or not all(names) or len(set(names)) != len(names):
        raise ConfigError(
            f"--pairwise {text!r}: expected two or more different candidates, A,B[,C...]"
        )
    return names
