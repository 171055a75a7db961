"""Model families, and the candidates a judge may favour as its own.

Judges favour their own model's answers (GPT-4 recognises its own text 73% of the time,
and the more it recognises, the more it favours), and models of one family write alike. A
run whose judge is one of its candidates, or of the same family, is warned about before
fan-out and recorded in the manifest (`RunManifest.families`).

A model's family is what its server reports (Ollama's `details.family` in /api/tags, kept
by the endpoint probes), else its name on the server before the tag: `gemma3:27b` ->
`gemma3`, `hf.co/org/Qwen2.5-7B:Q4` -> `qwen2.5-7b`. Families compare without case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from evalkit.types import EndpointHealth, ModelFamilies, ModelInfo


def name_family(server_name: str) -> str:
    """The family read from a model's name: the last path part, before the tag."""
    return server_name.rsplit("/", 1)[-1].split(":", 1)[0].lower()


def server_name(name: str, info: ModelInfo | None) -> str:
    """A model's name on its server: the litellm model string without its provider."""
    if info is None:
        return name
    return info.litellm_model.split("/", 1)[-1] if "/" in info.litellm_model else name


def family_of(
    name: str, info: ModelInfo | None, health: Iterable[EndpointHealth]
) -> tuple[str, bool]:
    """A model's family, and whether its server reported it (else it is read from the name)."""
    served = server_name(name, info)
    for probe in health:
        if info is not None and probe.endpoint != info.endpoint:
            continue
        for listed in (served, f"{served}:latest"):
            if probe.families.get(listed):
                return probe.families[listed].lower(), True
    return name_family(served), False


def model_families(
    candidates: list[str],
    judge_models: list[str],
    models: Mapping[str, ModelInfo],
    health: Iterable[EndpointHealth],
    known: ModelFamilies | None = None,
) -> ModelFamilies:
    """Every model's family, and the candidates that are a judge model or of its family.
    `known` (an earlier run's record) is used for the models the server did not report."""
    health = list(health)
    families: dict[str, str] = {}
    reported: list[str] = []
    for name in dict.fromkeys([*candidates, *judge_models]):
        family, from_server = family_of(name, models.get(name), health)
        if not from_server and known is not None and name in known.families:
            family, from_server = known.families[name], name in known.reported
        families[name] = family
        if from_server:
            reported.append(name)
    shared: dict[str, str] = {}
    for candidate in candidates:
        for judge in judge_models:
            if candidate == judge:
                shared[candidate] = f"is the judge's model {judge}"
                break
            if families[candidate] == families[judge]:
                shared[candidate] = f"is of the judge's family {families[judge]} ({judge})"
                break
    return ModelFamilies(families=families, reported=reported, judge=judge_models, shared=shared)
