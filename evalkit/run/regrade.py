"""Re-grade: the answers already in a run file, graded by another judge, into a new run
file whose manifest names the old one as its parent. No candidate model is called.

Each answered key of the parent becomes a key of the child graded by the new judge; a
key the parent has no answer for (its candidate was down) is carried over as it was, with
the new judge's name, so both files cover the same keys. A re-grade resumes like a run:
`judge --resume CHILD` grades only the child's keys that are not ok yet, with the judge
loaded from the file the child's manifest records (refused, unless --force, when its
definition changed), and appends a Resume line with what the probes found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from evalkit import __version__
from evalkit.cache import CacheStore
from evalkit.checks import checks_hash
from evalkit.config import apply_endpoint_overrides, load_config
from evalkit.endpoints.identity import identify_models
from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.loading import judge_info, load_judge, load_recorded_judge
from evalkit.judges.protocol import Judge, judge_models_of
from evalkit.run.cached import CacheMode, bind_cache, cache_use, open_cache
from evalkit.run.checking import CheckSetup, check_setup, definitions
from evalkit.run.families import model_families
from evalkit.run.prepare import check_resume, new_run_id, new_run_path, open_run
from evalkit.run.runner import RunPlan
from evalkit.runfile.reader import RunFile, read_run
from evalkit.runfile.writer import RunWriter
from evalkit.suites.loader import Suite, load_suite
from evalkit.types import Answer, EndpointHealth, Record, RunManifest, Schema, utc_now


class RegradeOptions(Schema):
    """What the user asked for (None: not given)."""

    parent: str | None = None
    """The run file whose answers are graded; taken from the child's manifest on resume."""
    judge: str | None = None
    """--judge; taken from the child's manifest on resume."""
    config: str | None = None
    """--config."""
    endpoints: list[str] = Field(default_factory=list)
    """--endpoint NAME=URL overrides."""
    out: str | None = None
    """--out."""
    resume: str | None = None
    """--resume CHILD: finish a re-grade."""
    force: bool = False
    """--force: go on although the suite or the judge changed."""
    checks: Literal["run", "skip"] = "run"
    """--checks: checks whose definitions changed since the parent run are run again (python
    ones in the config's sandbox), or skipped; unchanged ones reuse the parent's results."""
    cache: CacheMode = "use"
    """The cache across runs for verdicts: use it (default), --refresh, or --no-cache."""


class Regrade(Schema):
    """A re-grade ready to execute: one plan per candidate, each holding only the tasks
    that candidate has an answer for, so the runner never has a key to ask a candidate."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    plans: list[RunPlan]
    """What to grade, per candidate."""
    judge: Judge
    """The new judge."""
    pool: Pool
    """The endpoints (the judge's only are called)."""
    manifest: RunManifest
    """The child's manifest."""
    path: Path
    """The child run file."""
    resuming: bool
    """True when appending to an existing child."""
    size: int | None = None
    """The child's size when it was read for a resume; the writer refuses it if it grew."""
    forced: list[str] = Field(default_factory=list)
    """What differed from the child's manifest and --force let through."""
    carried: list[Record] = Field(default_factory=list)
    """Parent records without an answer, to write through when the child starts."""
    store: CacheStore | None = None
    """The cache across runs, open; None with --no-cache."""
    cache_mode: CacheMode = "use"
    """How the re-grade uses `store`."""

    def pending(self) -> int:
        """Keys still to grade."""
        return sum(plan.pending() for plan in self.plans)

    def open(self, health: list[EndpointHealth]) -> RunWriter:
        """Open and lock the child: a new one gets its manifest (with `health`, the judge's
        models' identities, and the models' families, the candidates' from the parent where
        the probes did not see them) and the carried records first; a resumed one a Resume
        line with `health`."""
        judged = judge_models_of(self.manifest.judge)  # the candidates' are the parent's
        models = identify_models(self.pool, self.manifest.models, health, judged)
        if self.size is None:
            families = model_families(
                self.manifest.candidates, judged, models, health, known=self.manifest.families
            )
            self.manifest = self.manifest.model_copy(
                update={"models": models, "families": families}
            )
        cache = cache_use(self.store, self.cache_mode)
        writer = open_run(self.path, self.manifest, health, self.size, self.forced, cache)
        for record in self.carried:
            writer.write(record)
        now = self.manifest.model_copy(update={"models": models})  # the judge as probed now
        for plan in self.plans:
            plan.cache = bind_cache(self.store, self.cache_mode, now, plan.checks)
        return writer


def prepare_regrade(options: RegradeOptions) -> Regrade:
    """Resolve the parent, the judge and the suite; raise an EvalkitError for bad input."""
    child = read_run(options.resume) if options.resume else None
    parent_path = options.parent or (child.manifest.parent if child else None)
    if parent_path is None:
        raise ConfigError("name the run file to re-grade: python -m evalkit judge RUNFILE")
    if options.judge is None and child is None:
        raise ConfigError("name the judge to re-grade with: --judge NAME|PATH")
    parent = read_run(parent_path)
    if parent.manifest.pairwise is not None:
        raise ConfigError(f"{parent_path}: a pairwise run; `judge` re-grades result records only")
    loaded = apply_endpoint_overrides(load_config(options.config), options.endpoints)
    pool = Pool(loaded)
    if options.judge is None and child is not None:
        judge = load_recorded_judge(child.manifest.judge, pool)
    else:
        judge = load_judge(options.judge or "", pool)
    suite = load_suite(parent.manifest.suite.ref, loaded.base_dir)
    manifest = child_manifest(parent, parent_path, judge, pool, suite, options.force)
    answers = {
        (r.task_id, r.candidate, r.sample): r.answer for r in parent.records.values() if r.answer
    }
    done: dict = {}
    forced: list[str] = []
    if child is not None:
        forced = check_resume(child.manifest, manifest, str(options.resume), options.force)
        manifest, done = child.manifest, child.records
    kept = {(r.task_id, r.candidate, r.sample): r for r in parent.records.values() if r.answer}
    setup = _check_setup(suite, kept, options.checks, loaded.config.sandbox)
    plans = [  # one per candidate and sample, of the tasks with an answer for it
        RunPlan(
            tasks=tasks,
            candidates=[c],
            judge=judge,
            pool=pool,
            done=done,
            answers=answers,
            samples=[i],
        )
        for c in parent.manifest.candidates
        for i in range(parent.manifest.samples)
        if (tasks := [t for t in suite.tasks if (t.id, c, i) in answers])
    ]
    for plan in plans:
        plan.checks, plan.kept_checks = setup, kept
    store = open_cache(options.cache, loaded.config.cache, loaded.base_dir)
    if child is None:
        manifest.cache = cache_use(store, options.cache)
    return Regrade(
        plans=plans,
        judge=judge,
        pool=pool,
        manifest=manifest,
        path=Path(options.resume) if child else new_run_path(options.out, loaded, manifest),
        resuming=child is not None,
        size=child.size if child else None,
        forced=forced,
        carried=[] if child else _carried(parent, judge.name, answers),
        store=store,
        cache_mode=options.cache,
    )


def child_manifest(
    parent: RunFile, parent_path: str, judge: Judge, pool: Pool, suite: Suite, force: bool
) -> RunManifest:
    """The parent's manifest with a new id, the new judge and the parent named. The
    candidates' settings are the parent's: they are what produced the answers."""
    if suite.info.fingerprint != parent.manifest.suite.fingerprint and not force:
        raise ResumeMismatchError(
            f"{parent_path}: its suite {suite.info.name!r} has changed since the run was made"
            " (fingerprint differs), so its answers may answer other prompts;"
            " use --force to grade them anyway"
        )
    info = judge_info(judge)
    models = parent.manifest.models
    candidates = {c: models[c] for c in parent.manifest.candidates if c in models}
    judge_models = {name: pool.model_info(name) for name in judge_models_of(info)}
    return parent.manifest.model_copy(
        update={
            "run_id": new_run_id(),
            "evalkit_version": __version__,
            "suite": suite.info.model_copy(update={"ref": parent.manifest.suite.ref}),
            "models": {**candidates, **judge_models},
            "judge": info,
            "health": [],
            "parent": str(parent_path),
            "pairwise": None,
            "merged_from": [],
            "started_at": utc_now(),
            "card": None,
            "cache": None,
        }
    )


def _carried(
    parent: RunFile, judge: str, answers: dict[tuple[str, str, int], Answer]
) -> list[Record]:
    """The parent's records that have no answer to grade, renamed to the new judge."""
    unanswered = [
        r for r in parent.records.values() if (r.task_id, r.candidate, r.sample) not in answers
    ]
    latest = {(r.task_id, r.candidate, r.sample): r for r in unanswered}
    return [r.model_copy(update={"judge": judge}) for r in latest.values()]


def _check_setup(
    suite: Suite, kept: dict[tuple[str, str, int], Record], mode: str, sandbox: str
) -> CheckSetup:
    """The run's check setup; a sandbox is needed only when some task's checks changed
    since the parent run (its results cannot be reused) and include python ones."""
    hashes = {record.checks_hash for record in kept.values() if record.checks}
    changed = [t for t in suite.tasks if t.checks and checks_hash(definitions(t)) not in hashes]
    return check_setup(changed, mode, sandbox)
