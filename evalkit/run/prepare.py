"""From command-line choices to a ready run: config resolved, suite loaded and validated,
judge found, run file opened (new, or resumed after checking it matches).

Everything that can be wrong with the input is found here, before any request is made.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ConfigDict, Field

from evalkit import __version__
from evalkit.config import Loaded, apply_endpoint_overrides, load_config, profile_config
from evalkit.endpoints.identity import identify_models
from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.loading import load_judge
from evalkit.judges.protocol import judge_models_of
from evalkit.run.runner import RunPlan
from evalkit.run.shard import take_shard
from evalkit.runfile.manifests import ModelChange, model_changes
from evalkit.runfile.reader import read_run
from evalkit.runfile.shards import parse_shard
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
    shard: str | None = None
    """--shard I/N: only the planned tasks of shard I of N; taken from the run file when
    resuming."""


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

    changed: list[ModelChange] = Field(default_factory=list)
    """On a resume: the models whose identity or server changed since the run file was
    begun (its records will mix both), found by `open`."""

    def open(self, health: list[EndpointHealth]) -> RunWriter:
        """Open the run file for appending; a new one starts with the manifest, which
        records what the endpoint probes found and each model's identity. A resume keeps
        its manifest, and notes in `changed` the models that are no longer the same."""
        pool = self.plan.pool
        models = identify_models(pool, self.manifest.models, health, list(self.manifest.models))
        now = self.manifest.model_copy(update={"health": health, "models": models})
        if self.resuming:
            self.changed = model_changes(self.manifest, now)
            return RunWriter(self.path)
        self.manifest = now
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
    shard = None
    if options.shard:
        tasks, shard = take_shard(tasks, *parse_shard(options.shard))
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
        shard=shard,
    )
    plan = RunPlan(tasks=tasks, candidates=candidates, judge=judge, pool=pool)
    if previous is not None:
        check_resume(previous.manifest, manifest, previous.path, options.force)
        plan.done = previous.records
        path = Path(previous.path)
        manifest = previous.manifest
    else:
        path = new_run_path(options.out, loaded, manifest)
    return PreparedRun(plan=plan, manifest=manifest, path=path, resuming=previous is not None)


def _from_manifest(options: RunOptions, manifest: RunManifest) -> RunOptions:
    """Fill what the user did not say from the run being resumed; a resume keeps the run
    file's shard (or whole run)."""
    held_shard = manifest.shard
    shard = (held_shard.index, held_shard.count) if held_shard is not None else None
    if options.shard and parse_shard(options.shard) != shard:
        held = f"shard {shard[0]}/{shard[1]}" if shard else "a whole run, not a shard"
        raise ConfigError(
            f"--shard {options.shard}: {options.resume} is {held}; a resume keeps its shard"
            " (leave --shard out)"
        )
    return options.model_copy(
        update={
            "suite": options.suite or manifest.suite.ref,
            "profile": options.profile or manifest.profile,
            "candidates": options.candidates or manifest.candidates,
            "judge": options.judge or manifest.judge.name,
            "limit": options.limit or manifest.limit,
            "shard": f"{shard[0]}/{shard[1]}" if shard else None,
        }
    )


UNSET_AT_PREPARE = {"url", "identity", "identity_source", "server_version"}
"""ModelInfo fields a resume does not compare: the URL (a pod moves), and what the probes
find (the model's identity, the server's version), which is not known when it checks."""


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
        if before is not None and before.model_dump(exclude=UNSET_AT_PREPARE) != info.model_dump(
            exclude=UNSET_AT_PREPARE
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
