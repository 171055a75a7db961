"""Re-grade: the answers already in a run file, graded by another judge, into a new run
file whose manifest names the old one as its parent. No candidate model is called.

Each answered key of the parent becomes a key of the child graded by the new judge; a
key the parent has no answer for (its candidate was down) is carried over as it was, with
the new judge's name, so both files cover the same keys. A re-grade resumes like a run:
`judge --resume CHILD` grades only the child's keys that are not ok yet.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict, Field

from evalkit import __version__
from evalkit.config import apply_endpoint_overrides, load_config
from evalkit.endpoints.identity import identify_models
from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.loading import load_judge
from evalkit.judges.protocol import Judge, judge_models_of
from evalkit.run.prepare import check_resume, new_run_id, new_run_path
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
    carried: list[Record] = Field(default_factory=list)
    """Parent records without an answer, to write through when the child starts."""

    def pending(self) -> int:
        """Keys still to grade."""
        return sum(plan.pending() for plan in self.plans)

    def open(self, health: list[EndpointHealth]) -> RunWriter:
        """Open the child: a new one gets its manifest and the carried records first."""
        if self.resuming:
            return RunWriter(self.path)
        judged = judge_models_of(self.manifest.judge)  # the candidates' are the parent's
        models = identify_models(self.pool, self.manifest.models, health, judged)
        self.manifest = self.manifest.model_copy(update={"health": health, "models": models})
        writer = RunWriter(self.path, self.manifest)
        for record in self.carried:
            writer.write(record)
        return writer


def prepare_regrade(options: RegradeOptions) -> Regrade:
    """Resolve the parent, the judge and the suite; raise an EvalkitError for bad input."""
    child = read_run(options.resume) if options.resume else None
    parent_path = options.parent or (child.manifest.parent if child else None)
    if parent_path is None:
        raise ConfigError("name the run file to re-grade: python -m evalkit judge RUNFILE")
    judge_name = options.judge or (child.manifest.judge.name if child else None)
    if judge_name is None:
        raise ConfigError("name the judge to re-grade with: --judge NAME|PATH")
    parent = read_run(parent_path)
    if parent.manifest.pairwise is not None:
        raise ConfigError(f"{parent_path}: a pairwise run; `judge` re-grades result records only")
    loaded = apply_endpoint_overrides(load_config(options.config), options.endpoints)
    pool = Pool(loaded)
    judge = load_judge(judge_name, pool)
    suite = load_suite(parent.manifest.suite.ref, loaded.base_dir)
    manifest = child_manifest(parent, parent_path, judge, pool, suite, options.force)
    answers = {(r.task_id, r.candidate): r.answer for r in parent.records.values() if r.answer}
    done: dict = {}
    if child is not None:
        check_resume(child.manifest, manifest, str(options.resume), options.force)
        manifest, done = child.manifest, child.records
    plans = [
        RunPlan(tasks=tasks, candidates=[c], judge=judge, pool=pool, done=done, answers=answers)
        for c in parent.manifest.candidates
        if (tasks := [t for t in suite.tasks if (t.id, c) in answers])
    ]
    return Regrade(
        plans=plans,
        judge=judge,
        pool=pool,
        manifest=manifest,
        path=Path(options.resume) if child else new_run_path(options.out, loaded, manifest),
        resuming=child is not None,
        carried=[] if child else _carried(parent, judge.name, answers),
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
    info = judge.info()
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
        }
    )


def _carried(parent: RunFile, judge: str, answers: dict[tuple[str, str], Answer]) -> list[Record]:
    """The parent's records that have no answer to grade, renamed to the new judge."""
    unanswered = [r for r in parent.records.values() if (r.task_id, r.candidate) not in answers]
    latest = {(r.task_id, r.candidate): r for r in unanswered}
    return [r.model_copy(update={"judge": judge}) for r in latest.values()]
