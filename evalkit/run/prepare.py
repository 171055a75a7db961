"""From command-line choices to a ready run: config resolved, suite loaded and validated,
judge found, run file opened (new, or resumed after checking it matches).

Everything that can be wrong with the input is found here, before any request is made.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from evalkit import __version__
from evalkit.config import Loaded, apply_endpoint_overrides, load_config, profile_config
from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.loading import load_judge
from evalkit.judges.protocol import judge_models_of
from evalkit.run.checking import check_setup
from evalkit.run.runner import RunPlan
from evalkit.runfile.reader import read_run
from evalkit.runfile.writer import RunWriter
from evalkit.suites.loader import load_suite
from evalkit.types import EndpointHealth, RunManifest, Schema


class RunOptions(Schema):
    """What the user asked for on the command line (None: not given)."""

    suite: str | None = None
    """Suite name, path or hub id; taken from the run file when resuming."""
    config: str | None = None
    """--config."""
    profile: str | None = None
    """--profile."""
    candidates: list[str] | None = None
    """--candidates."""
    judge: str | None = None
    """--judge."""
    endpoints: list[str] = Field(default_factory=list)
    """--endpoint NAME=URL overrides."""
    limit: int | None = None
    """--limit."""
    out: str | None = None
    """--out."""
    resume: str | None = None
    """--resume RUNFILE."""
    force: bool = False
    """--force: resume even when the manifest differs."""
    checks: Literal["run", "skip"] = "run"
    """--checks: run the suite's checks (python ones in the config's sandbox) or skip them."""


class PreparedRun(Schema):
    """A run ready to execute."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    plan: RunPlan
    """What to do."""
    manifest: RunManifest
    """The run's manifest (the resumed file's own, when resuming)."""
    path: Path
    """The run file."""
    resuming: bool
    """True when appending to an existing run file."""

    def open(self, health: list[EndpointHealth]) -> RunWriter:
        """Open the run file for appending; a new one starts with the manifest, which
        records what the endpoint probes found."""
        if self.resuming:
            return RunWriter(self.path)
        self.manifest = self.manifest.model_copy(update={"health": health})
        return RunWriter(self.path, self.manifest)


def prepare(options: RunOptions) -> PreparedRun:
    """Resolve everything; raise an EvalkitError for any bad input."""
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
    judge = load_judge(options.judge or profile.judge, pool)
    suite = load_suite(options.suite, loaded.base_dir)
    tasks = suite.tasks[: options.limit] if options.limit else suite.tasks
    manifest = RunManifest(
        run_id=new_run_id(),
        evalkit_version=__version__,
        suite=suite.info,
        profile=profile_name,
        candidates=candidates,
        models={
            name: pool.model_info(name)
            for name in dict.fromkeys([*candidates, *judge_models_of(judge.info())])
        },
        judge=judge.info(),
        limit=options.limit,
    )
    plan = RunPlan(tasks=tasks, candidates=candidates, judge=judge, pool=pool)
    plan.checks = check_setup(tasks, options.checks, loaded.config.sandbox)
    if previous is not None:
        check_resume(previous.manifest, manifest, previous.path, options.force)
        plan.done = previous.records
        path = Path(previous.path)
        manifest = previous.manifest
    else:
        path = new_run_path(options.out, loaded, manifest)
    return PreparedRun(plan=plan, manifest=manifest, path=path, resuming=previous is not None)


def _from_manifest(options: RunOptions, manifest: RunManifest) -> RunOptions:
    """Fill what the user did not say from the run being resumed."""
    return options.model_copy(
        update={
            "suite": options.suite or manifest.suite.ref,
            "profile": options.profile or manifest.profile,
            "candidates": options.candidates or manifest.candidates,
            "judge": options.judge or manifest.judge.name,
            "limit": options.limit or manifest.limit,
        }
    )


def check_resume(old: RunManifest, new: RunManifest, path: str, force: bool) -> None:
    """Refuse to resume a run file made from another suite, or (unless force) with other
    models, settings or judge: its records would not be comparable."""
    if old.suite.name != new.suite.name:
        raise ResumeMismatchError(
            f"{path}: made from suite {old.suite.name!r}, not {new.suite.name!r}; cannot resume"
        )
    changes = []
    if old.suite.fingerprint != new.suite.fingerprint:
        changes.append("the suite's tasks changed (fingerprint differs)")
    if old.profile != new.profile:
        changes.append(f"profile {old.profile!r} -> {new.profile!r}")
    if old.candidates != new.candidates:
        changes.append(f"candidates {old.candidates} -> {new.candidates}")
    for name, info in new.models.items():
        before = old.models.get(name)
        if before is not None and before.model_dump(exclude={"url"}) != info.model_dump(
            exclude={"url"}
        ):
            changes.append(f"model {name!r} settings changed")
    if old.judge != new.judge:
        changes.append(f"judge {old.judge.name!r} definition changed")
    if changes and not force:
        raise ResumeMismatchError(
            f"{path}: cannot resume: " + "; ".join(changes) + " (use --force to resume anyway)"
        )


def new_run_id() -> str:
    """A run id: UTC start time and a random suffix, e.g. 20261127T041500Z-3f9a1c."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def new_run_path(out: str | None, loaded: Loaded, manifest: RunManifest) -> Path:
    """--out, or results/<suite>/<run-id>.jsonl beside the config; never an existing file."""
    safe = manifest.suite.name.replace("/", "__")
    path = Path(out) if out else loaded.base_dir / "results" / safe / f"{manifest.run_id}.jsonl"
    if path.exists():
        raise ConfigError(f"{path}: already exists; resume it with --resume or choose --out")
    return path
