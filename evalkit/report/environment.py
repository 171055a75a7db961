"""The report's environment table: each model's endpoint, settings, notes and what the
endpoint probes found: when the run started (the manifest) and at each resume (the run
file's Resume lines). The status shown is the latest probe's; when an endpoint went down
or came back between probes, the status tells each change with its time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from evalkit.redact import redact_url

if TYPE_CHECKING:  # a report reads the manifest as a ManifestHead: no pydantic
    from evalkit.runfile.heads import HealthHead, JudgeHead, ModelHead
    from evalkit.types import EndpointHealth, JudgeInfo, ModelInfo, Resume

    Health = EndpointHealth | HealthHead
    """What a probe found, from a full manifest or a head."""
    Model = ModelInfo | ModelHead
    """A model's settings, from a full manifest or a head."""


@dataclass(kw_only=True)
class ProbeState:
    """What one probe found for a model's endpoint."""

    at: str
    """When the probe ran (UTC, ISO 8601): the run's start, or a resume's."""
    status: str
    """e.g. Operational (server 0.6.5), OFFLINE (HTTP 404), MODEL MISSING."""
    up: bool | None
    """True up, False down or model missing, None not probed."""


@dataclass(kw_only=True)
class EnvironmentColumn:
    """One model's column in the environment table. A dataclass, as `ProbeState`: made by
    `environment` from a manifest already validated, it crosses no file."""

    model: str
    """The model's name in the config."""
    role: str
    """candidate, judge, or both."""
    served_as: str
    """The model string litellm calls."""
    endpoint: str
    """The endpoint's name in the config."""
    kind: str
    """The endpoint's kind: ollama, embedded or openai."""
    url: str
    """The endpoint's URL, credentials redacted; empty for the embedded model."""
    parameters: str
    """Sampling and context settings, e.g. temperature 0.3, seed 42."""
    notes: str
    """The config's notes: parameters, hardware."""
    status: str
    """What the latest probe found, e.g. Operational, OFFLINE (HTTP 404); with each change
    and its time when it changed between probes."""
    up: bool | None
    """True up, False down or model missing, None not probed: at the latest probe."""
    history: list[ProbeState] = field(default_factory=list)
    """What each probe found, the start's first, then each resume's."""


def environment(
    models: Mapping[str, Model],
    candidates: Sequence[str],
    judge: JudgeInfo | JudgeHead,
    health: Sequence[Health],
    resumes: Sequence[Resume] = (),
    started_at: str = "",
) -> list[EnvironmentColumn]:
    """One column per candidate, then the judge's model unless it is a candidate too;
    `health` is what the probes found at the start (`started_at`), `resumes` each later
    probe."""
    probes = [(started_at, health), *((resume.at, resume.health) for resume in resumes)]
    names = list(dict.fromkeys([*candidates, *([judge.model] if judge.model else [])]))
    columns = []
    for name in names:
        info = models.get(name)
        if info is None:
            continue
        role = "candidate" if name in candidates else ""
        if name == judge.model:
            role = f"{role} and judge" if role else "judge"
        history = _history(info, probes, resumed=bool(resumes))
        columns.append(
            EnvironmentColumn(
                model=name,
                role=role,
                served_as=info.litellm_model,
                endpoint=info.endpoint,
                kind=info.kind,
                url=redact_url(info.url) or "",
                parameters=", ".join(f"{k} {v}" for k, v in info.params.items() if v is not None),
                notes=info.notes or "",
                status=_with_changes(history, started_at) if history else "not probed",
                up=history[-1].up if history else None,
                history=history,
            )
        )
    return columns


def _history(
    info: Model, probes: list[tuple[str, Sequence[Health]]], resumed: bool
) -> list[ProbeState]:
    """What each probe found for the model's endpoint. Once the run was resumed, a probe
    that left the endpoint out (a re-grade probes the judge's only) is not a state."""
    states = []
    for at, found in probes:
        status, up = _probe_status(info, found)
        if up is not None or not resumed:
            states.append(ProbeState(at=at, status=status, up=up))
    return states


def _with_changes(history: list[ProbeState], started_at: str) -> str:
    """The latest status; when the endpoint went down or came back between probes, every
    change with its time: `OFFLINE (HTTP 404) at 10:02 UTC; Operational at 14:30 UTC`."""
    if len({state.up for state in history}) < 2:
        return history[-1].status
    changes = [history[0]]
    changes += [new for old, new in pairwise(history) if new.up != old.up]
    return "; ".join(f"{state.status} at {clock(state.at, started_at)}" for state in changes)


def clock(at: str, started_at: str = "") -> str:
    """A run file's timestamp for a reader: `14:30 UTC`, with the date when it is not the
    run's start date; the text as it is when it is not a timestamp."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return at
    same_day = started_at[:10] == at[:10]
    return when.strftime("%H:%M UTC" if same_day else "%Y-%m-%d %H:%M UTC")


def _probe_status(info: Model, health: Sequence[Health]) -> tuple[str, bool | None]:
    """What the probes found for the model's endpoint: over its replicas, when it has
    several, the endpoint serves if one of them does."""
    probes = [h for h in health if h.endpoint == info.endpoint]
    if not probes:
        return "not probed", None
    served = info.litellm_model.split("/", 1)[-1]
    up = [h for h in probes if h.reachable]
    serving = [h for h in up if served not in h.missing and info.name not in h.missing]
    if not up:
        probe = probes[0]
        why = f"HTTP {probe.status_code}" if probe.status_code else probe.error or "unreachable"
        return f"OFFLINE ({why})", False
    if not serving:
        return "MODEL MISSING", False
    status = "Operational"
    if serving[0].version:
        status += f" (server {serving[0].version})"
    if len(serving) < len(probes):
        status += f", {len(serving)} of {len(probes)} replicas serving"
    return status, True
