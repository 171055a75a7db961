"""The report's environment table: each model's endpoint, settings, notes and what the
endpoint probe found when the run started (from the run file's manifest)."""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.redact import redact_url
from evalkit.types import EndpointHealth, JudgeInfo, ModelInfo, Schema


class EnvironmentColumn(Schema):
    """One model's column in the environment table."""

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
    """What the probe found when the run started, e.g. Operational, OFFLINE (HTTP 404)."""
    up: bool | None
    """True up, False down or model missing, None not probed."""


def environment(
    models: dict[str, ModelInfo],
    candidates: Sequence[str],
    judge: JudgeInfo,
    health: list[EndpointHealth],
) -> list[EnvironmentColumn]:
    """One column per candidate, then the judge's model unless it is a candidate too."""
    names = list(dict.fromkeys([*candidates, *([judge.model] if judge.model else [])]))
    columns = []
    for name in names:
        info = models.get(name)
        if info is None:
            continue
        role = "candidate" if name in candidates else ""
        if name == judge.model:
            role = f"{role} and judge" if role else "judge"
        status, up = _probe_status(info, health)
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
                status=status,
                up=up,
            )
        )
    return columns


def _probe_status(info: ModelInfo, health: list[EndpointHealth]) -> tuple[str, bool | None]:
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
