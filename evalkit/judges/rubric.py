"""The rubric judge: a model, defined by a judges/<name>.toml file, that grades an answer
against the task's reference and rubric with the verdict schema as structured output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from evalkit.config import ModelConfig
from evalkit.endpoints.pool import PROVIDER_PREFIX, Endpoint, Pool
from evalkit.errors import ConfigError
from evalkit.judges.asking import ask_validated
from evalkit.judges.prompt import parse_verdict, render
from evalkit.judges.prompt import verdict_schema as schema_for
from evalkit.types import Answer, CheckResult, Grading, JudgeInfo, Strict, Task


class JudgeFile(Strict):
    """A judges/<name>.toml file: a model that judges, or a panel of other judges."""

    model: str | None = None
    """The model that judges: a name from the config's [models], or with `endpoint` the
    model on that endpoint (e.g. "ollama_chat/qwen2.5:7b" or "qwen2.5:7b")."""
    endpoint: str | None = None
    """The config endpoint serving `model`, when `model` is not a config model name."""
    panel: list[str] | None = Field(default=None, min_length=2)
    """Instead of a model: the judges (names or paths, as --judge takes) whose votes combine."""
    samples: int = Field(default=1, ge=1, le=25)
    """Verdicts asked per answer (seeds seed, seed+1, ...), combined into one."""
    combine: Literal["median", "mean"] = "median"
    """How several votes' scores combine: median, or mean rounded half up."""
    pairwise_template: str = "pairwise-judge.md"
    """The prompt template for pairwise mode, relative to the judge file."""
    template: str = "rubric-judge.md"
    """The prompt template, a file path relative to the judge file."""
    description: str | None = None
    """What this judge is for."""
    temperature: float | None = Field(default=0.0, ge=0, le=2)
    """Overrides the model's temperature when judging."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Overrides the model's max_tokens when judging."""
    seed: int | None = None
    """Overrides the model's seed when judging."""
    retry_invalid: int = Field(default=1, ge=0, le=3)
    """Times the judge is asked again, with the validation error, after an invalid reply."""

    @model_validator(mode="after")
    def _model_or_panel(self) -> JudgeFile:
        if (self.model is None) == (self.panel is None):
            raise ValueError("give either model (a judge) or panel (a list of judges)")
        model_only = {"endpoint", "template", "temperature", "max_tokens", "seed", "samples"}
        given = sorted(model_only & self.model_fields_set)
        if self.panel is not None and given:
            raise ValueError(f"{given[0]}: a panel has no model; set it in its members' files")
        if self.samples > 1 and self.temperature == 0:
            raise ValueError(
                f"samples = {self.samples} at temperature 0 would draw one verdict"
                f" {self.samples} times; set temperature (e.g. 0.7)"
            )
        return self


class RubricJudge:
    """An LLM judge that grades against the task's reference and rubric, with the verdict
    schema as structured output."""

    def __init__(
        self,
        name: str,
        spec: JudgeFile,
        template: str,
        pool: Pool,
        where: str,
        definition_sha256: str | None = None,
    ):
        self.name = name
        self.spec = spec
        self.template = template
        self.folder = Path(where).parent
        """The judge file's folder, where its other templates are."""
        self.path = str(Path(where).resolve())
        """The judge file, recorded so a resume loads this very file."""
        self.definition_sha256 = definition_sha256
        """The hash of the judge file and its template, as loading.py computed it."""
        self.endpoint, self.model = _judge_model(spec, pool, where)
        self.overrides = {
            k: v
            for k, v in {
                "temperature": spec.temperature,
                "max_tokens": spec.max_tokens,
                "seed": spec.seed,
            }.items()
            if v is not None
        }
        """The judge's own sampling settings, which win over the model's."""

    def info(self) -> JudgeInfo:
        """Name, model, prompt hash, settings, and the file and definition hash."""
        return JudgeInfo(
            name=self.name,
            kind="rubric",
            model=self.spec.model,
            prompt_sha256=hashlib.sha256(self.template.encode()).hexdigest(),
            settings={**self.overrides, "retry_invalid": self.spec.retry_invalid},
            path=self.path,
            definition_sha256=self.definition_sha256,
        )

    def endpoints(self) -> list[Endpoint]:
        """The one endpoint serving the judge model."""
        return [self.endpoint]

    async def grade(
        self,
        task: Task,
        answer: str,
        *,
        seed: int | None = None,
        finish_reason: str | None = None,
        checks: Sequence[CheckResult] = (),
    ) -> Grading:
        """Ask for a verdict; on an invalid reply ask again with the error, then give up.
        `seed` replaces the judge's seed, for repeated sampling; `finish_reason` (why the
        answer's generation stopped) puts a note in the prompt when it was cut; `checks`
        (the task's check results) go into the prompt as evidence."""
        schema = schema_for(task)
        overrides = self.overrides if seed is None else {**self.overrides, "seed": seed}

        async def ask(messages: list[dict[str, str]]) -> Answer:
            return await self.endpoint.complete(
                self.spec.model or "",
                self.model,
                messages,
                schema=schema,
                role="judge",
                overrides=overrides,
            )

        prompt = render(self.template, task, answer, finish_reason=finish_reason, checks=checks)
        asked = await ask_validated(
            ask, prompt, lambda text: parse_verdict(text, task), self.spec.retry_invalid
        )
        if asked.failed is not None:
            failed = asked.failed
            return Grading(raw=asked.raw, error=failed.info, unavailable=failed.unavailable)
        if asked.value is not None:  # invalid replies before it show the judge was re-asked
            return Grading(verdict=asked.value, judge_answer=asked.reply, raw=asked.raw)
        return Grading(
            raw=asked.raw, judge_answer=asked.reply, error=asked.invalid("verdict"), invalid=True
        )


def _judge_model(spec: JudgeFile, pool: Pool, where: str) -> tuple[Endpoint, ModelConfig]:
    """The judge's model: a config model, or with `endpoint` a model on that endpoint.

    The latter is added to the run's config under the name the judge file gives it, so the
    manifest and the endpoint probes treat it like any configured model."""
    assert spec.model is not None  # the validator allows no model only for a panel
    if spec.endpoint is None:
        return pool.model(spec.model, f"{where}: model")
    models = pool.loaded.config.models
    if spec.endpoint not in pool.loaded.config.endpoints:
        known = ", ".join(sorted(pool.loaded.config.endpoints)) or "none"
        raise ConfigError(f"{where}: endpoint: unknown endpoint {spec.endpoint!r} (known: {known})")
    kind = pool.loaded.config.endpoints[spec.endpoint].kind
    added = ModelConfig(endpoint=spec.endpoint, model=_server_name(spec.model, kind, where))
    existing = models.setdefault(spec.model, added)
    if existing != added:
        raise ConfigError(
            f"{where}: model {spec.model!r} is also a config model on endpoint"
            f" {existing.endpoint!r}; drop `endpoint` to use it, or write the model as"
            f" {PROVIDER_PREFIX[kind]}/NAME"
        )
    return pool.model(spec.model, f"{where}: model")


def _server_name(model: str, kind: str, where: str) -> str:
    """The model's name on the server: a litellm model string without its provider prefix.
    evalkit picks the provider from the endpoint's kind, so another prefix is an error."""
    prefix, sep, rest = model.partition("/")
    if sep and prefix == PROVIDER_PREFIX[kind]:
        return rest
    if sep and prefix in {*PROVIDER_PREFIX.values(), "ollama"}:
        raise ConfigError(
            f"{where}: model {model!r}: a {kind} endpoint is called as {PROVIDER_PREFIX[kind]}/"
        )
    return model
