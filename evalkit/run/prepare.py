"""From command-line choices to a ready run: config resolved, suite loaded and validated,
judge found, run file opened (new, or resumed after checking it matches).

Everything that can be wrong with the input is found here, before any chat request is made
(`evalkit.run.setup.prepare`; the run command probes the endpoints while the suite is read).
A resume loads the judge from the file its manifest records and refuses (unless
--force) a judge whose definition changed, saying what changed; it appends a Resume line
with what the endpoint probes found, so the run file keeps every probe.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from evalkit import __version__
from evalkit.cache import CacheStore
from evalkit.config import Loaded
from evalkit.endpoints.identity import identify_models
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.protocol import judge_models_of
from evalkit.run.cached import CacheMode, bind_cache, cache_use
from evalkit.run.families import model_families
from evalkit.run.runner import RunPlan
from evalkit.runfile.manifests import ModelChange, judge_changes, model_changes
from evalkit.runfile.writer import RunWriter
from evalkit.types import (
    CacheUse,
    EndpointHealth,
    ModelFamilies,
    Resume,
    RunManifest,
    Schema,
)


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
    samples: int | None = Field(default=None, ge=1)
    """--samples K: answers per task and candidate; a resume takes the manifest's."""
    pass_threshold: int | None = Field(default=None, ge=1, le=5)
    """--pass-threshold: the score a sample needs to pass (pass^k, pass@k)."""
    shard: str | None = None
    """--shard I/N: only the planned tasks of shard I of N; taken from the run file when
    resuming."""
    cache: CacheMode = "use"
    """The cache across runs: use it (default), --refresh (ask again and overwrite), or
    --no-cache (off)."""


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
    size: int | None = None
    """The resumed file's size when it was read; the writer refuses it if it has grown."""
    forced: list[str] = Field(default_factory=list)
    """What differed from the resumed manifest and --force let through."""
    store: CacheStore | None = None
    """The cache across runs, open; None with --no-cache."""
    cache_mode: CacheMode = "use"
    """How the run uses `store`."""

    changed: list[ModelChange] = Field(default_factory=list)
    """On a resume: the models whose identity or server changed since the run file was
    begun (its records will mix both), found by `open`."""

    def open(
        self, health: list[EndpointHealth], families: ModelFamilies | None = None
    ) -> RunWriter:
        """Open and lock the run file for appending, recording what the endpoint probes
        found: a new file in its manifest (with each model's identity and family), a resumed
        one in a Resume line; a resume notes in `changed` the models that are no longer the
        ones the file was begun with. The plan's cache is bound to the models' identities as
        the probes found them now (a resume's too)."""
        pool = self.plan.pool
        models = identify_models(pool, self.manifest.models, health, list(self.manifest.models))
        now = self.manifest.model_copy(update={"models": models})
        if self.size is None:
            self.manifest = now.model_copy(update={"families": families})
        else:
            self.changed = model_changes(self.manifest, now)
        cache = cache_use(self.store, self.cache_mode)
        writer = open_run(self.path, self.manifest, health, self.size, self.forced, cache)
        self.plan.cache = bind_cache(self.store, self.cache_mode, now, self.plan.checks)
        return writer

    def families(self, health: list[EndpointHealth]) -> ModelFamilies:
        """The models' families (the server's where the probes found them), and which
        candidates share the judge's model or family."""
        judge_models = judge_models_of(self.plan.judge.info())
        return model_families(self.plan.candidates, judge_models, self.manifest.models, health)


def open_run(
    path: Path,
    manifest: RunManifest,
    health: list[EndpointHealth],
    size: int | None,
    forced: list[str],
    cache: CacheUse | None,
) -> RunWriter:
    """A new run file (`size` None) starting with `manifest` and `health`, or a resumed one
    (of `size` bytes when read) with a Resume line appended, which says how this session
    uses the cache (`cache`)."""
    if size is None:
        return RunWriter(path, manifest.model_copy(update={"health": health}))
    writer = RunWriter(path, expect_size=size)
    writer.write(Resume(evalkit_version=__version__, health=health, forced=forced, cache=cache))
    return writer


UNSET_AT_PREPARE = {"url", "identity", "identity_source", "server_version"}
"""ModelInfo fields a resume does not compare: the URL (a pod moves), and what the probes
find (the model's identity, the server's version), which is not known when it checks."""


def check_resume(old: RunManifest, new: RunManifest, path: str, force: bool) -> list[str]:
    """Refuse to resume a run file made from another suite, or (unless force) with other
    models, settings or judge: its records would not be comparable. Returns what differs
    and `force` let through (empty when nothing differs)."""
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
    judge = judge_changes(old.judge, new.judge)
    if judge:
        changes.append(f"judge {old.judge.name!r} definition changed (" + ", ".join(judge) + ")")
    if changes and not force:
        raise ResumeMismatchError(
            f"{path}: cannot resume: " + "; ".join(changes) + " (use --force to resume anyway)"
        )
    return changes


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
