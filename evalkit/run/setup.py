"""A run resolved in two steps, so the endpoints are probed while a helper process still
reads the suite (see evalkit.suites.spool.prefetch): `begin` resolves the config, the
candidates and the judge; `RunSetup.finish` reads and validates the suite and makes the
PreparedRun. Every input error is still found before any chat request is made; a suite
error is raised by `finish`, after the probes, and before anything they found is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalkit import __version__
from evalkit.config import Loaded, apply_endpoint_overrides, load_config, profile_config
from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError
from evalkit.judges.loading import judge_info, load_judge, load_recorded_judge
from evalkit.judges.protocol import Judge, judge_models_of
from evalkit.run.cached import cache_use, open_cache
from evalkit.run.checking import check_setup
from evalkit.run.prepare import (
    PreparedRun,
    RunOptions,
    check_resume,
    new_run_id,
    new_run_path,
)
from evalkit.run.runner import RunPlan
from evalkit.run.shard import resumed_shard, take_shard
from evalkit.runfile.reader import RunFile, read_run
from evalkit.runfile.shards import parse_shard
from evalkit.suites.loader import load_suite
from evalkit.types import RunManifest


@dataclass
class RunSetup:
    """A run's config, models and judge, resolved before its suite is read (`begin`), so
    the endpoints can be probed while a helper process still reads the suite; `finish`
    reads it and makes the PreparedRun. (A dataclass, like RunPlan: the judge is any
    object implementing the Judge protocol.)"""

    options: RunOptions
    """What was asked, completed from the resumed run file's manifest."""
    previous: RunFile | None
    """The run file being resumed, read; None for a new run."""
    loaded: Loaded
    """The config, with --endpoint overrides applied."""
    profile: str
    """The profile's name."""
    candidates: list[str]
    """The candidates, each a configured model."""
    pool: Pool
    """The endpoints and models."""
    judge: Judge
    """The judge, loaded."""

    def probe_plan(self) -> RunPlan:
        """A plan without tasks: what `runner.probe_plan` needs to probe the endpoints."""
        return RunPlan(tasks=[], candidates=self.candidates, judge=self.judge, pool=self.pool)

    def finish(self) -> PreparedRun:
        """Read and validate the suite, then make the manifest, the plan and the run path."""
        options, loaded, pool, judge = self.options, self.loaded, self.pool, self.judge
        suite = load_suite(options.suite or "", loaded.base_dir)
        tasks = suite.tasks[: options.limit] if options.limit else suite.tasks
        shard = None
        if options.shard:
            tasks, shard = take_shard(tasks, *parse_shard(options.shard))
        manifest = RunManifest(
            run_id=new_run_id(),
            evalkit_version=__version__,
            suite=suite.info,
            profile=self.profile,
            candidates=self.candidates,
            models={
                name: pool.model_info(name)
                for name in dict.fromkeys([*self.candidates, *judge_models_of(judge.info())])
            },
            judge=judge_info(judge),
            limit=options.limit,
            samples=options.samples or 1,
            pass_threshold=options.pass_threshold or loaded.config.pass_threshold,
            shard=shard,
        )
        plan = RunPlan(
            tasks=tasks,
            candidates=self.candidates,
            judge=judge,
            pool=pool,
            samples=manifest.samples,
        )
        plan.checks = check_setup(tasks, options.checks, loaded.config.sandbox)
        return self._prepared(plan, manifest)

    def _prepared(self, plan: RunPlan, manifest: RunManifest) -> PreparedRun:
        options, previous = self.options, self.previous
        store = open_cache(options.cache, self.loaded.config.cache, self.loaded.base_dir)
        cached = {"store": store, "cache_mode": options.cache}
        if previous is None:
            path = new_run_path(options.out, self.loaded, manifest)
            manifest.cache = cache_use(store, options.cache)
            return PreparedRun(plan=plan, manifest=manifest, path=path, resuming=False, **cached)
        forced = check_resume(previous.manifest, manifest, previous.path, options.force)
        plan.done = previous.records
        return PreparedRun(
            plan=plan,
            manifest=previous.manifest,
            path=Path(previous.path),
            resuming=True,
            size=previous.size,
            forced=forced,
            **cached,
        )


def prepare(options: RunOptions) -> PreparedRun:
    """Resolve everything; raise an EvalkitError for any bad input (`begin`, then its
    `finish`: the run command probes the endpoints between them)."""
    return begin(options).finish()


def begin(options: RunOptions) -> RunSetup:
    """Resolve the config, the candidates and the judge (the suite is read by `finish`);
    raise an EvalkitError for any bad input among them."""
    previous = read_run(options.resume) if options.resume else None
    if previous is not None:
        options = _from_manifest(options, previous.manifest)
    if not options.suite:
        raise ConfigError("name a suite (python -m evalkit run SUITE) or --resume RUNFILE")
    loaded = apply_endpoint_overrides(load_config(options.config), options.endpoints)
    profile_name, profile = profile_config(loaded, options.profile)
    candidates = options.candidates or profile.candidates
    pool = Pool(loaded)
    for name in candidates:
        pool.model(name, "--candidates")
    if options.judge is None and previous is not None:
        judge = load_recorded_judge(previous.manifest.judge, pool)
    else:
        judge = load_judge(options.judge or profile.judge, pool)
    return RunSetup(
        options=options,
        previous=previous,
        loaded=loaded,
        profile=profile_name,
        candidates=candidates,
        pool=pool,
        judge=judge,
    )


def _from_manifest(options: RunOptions, manifest: RunManifest) -> RunOptions:
    """Fill what the user did not say from the run being resumed; a resume keeps the run's
    number of samples and its shard (or whole run): its manifest is never rewritten."""
    if options.samples not in (None, manifest.samples):
        raise ConfigError(
            f"--samples {options.samples}: the run being resumed was made with --samples"
            f" {manifest.samples}; leave --samples out to finish it"
        )
    return options.model_copy(
        update={
            "suite": options.suite or manifest.suite.ref,
            "profile": options.profile or manifest.profile,
            "candidates": options.candidates or manifest.candidates,
            "limit": options.limit or manifest.limit,
            "samples": manifest.samples,
            "pass_threshold": manifest.pass_threshold,
            "shard": resumed_shard(options.shard, manifest.shard, options.resume or ""),
        }
    )
