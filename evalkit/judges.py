"""Judges: the Judge protocol, the rubric judge defined by a TOML file, and how a judge is
found by name.

A judge named NAME is, in order: `judges/NAME.toml` beside the config, a path to a judge
TOML file, or a plugin registered in the entry-point group `evalkit.judges` (a class whose
constructor takes a JudgeContext and that implements Judge).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Generic, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from pydantic import ConfigDict, Field, ValidationError, model_validator

from evalkit.config import ModelConfig
from evalkit.endpoints import PROVIDER_PREFIX, CallFailed, Endpoint, Pool
from evalkit.errors import ConfigError, UnknownJudgeError, describe_validation
from evalkit.judge_prompt import InvalidVerdict, load_template, parse_verdict, render
from evalkit.judge_prompt import verdict_schema as schema_for
from evalkit.panel import PanelJudge, SampledJudge
from evalkit.types import Answer, ErrorInfo, Grading, JudgeInfo, Model, Strict, Task

ENTRY_POINT_GROUP = "evalkit.judges"
RETRY_PROMPT = (
    "Your reply was not a valid verdict: {error}\n"
    "Reply again with only the JSON object, following the schema exactly."
)


@runtime_checkable
class Judge(Protocol):
    """Grades one answer to one task. Implementations never raise for a bad grade: a judge
    that cannot produce a verdict returns a Grading with `error` set and no verdict."""

    name: str

    def info(self) -> JudgeInfo:
        """The judge's definition, recorded in the run manifest."""
        ...

    def endpoints(self) -> list[Endpoint]:
        """The endpoints the judge calls, probed before a run starts."""
        ...

    async def grade(self, task: Task, answer: str) -> Grading:
        """A verdict for `answer`, or the reason there is none."""
        ...


class JudgeContext(Model):
    """What a judge plugin is constructed with."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pool: Pool
    """The run's endpoints; `pool.model(name, where)` gives a model and its endpoint."""
    name: str
    """The name the judge was asked for by."""


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

    def __init__(self, name: str, spec: JudgeFile, template: str, pool: Pool, where: str):
        self.name = name
        self.spec = spec
        self.template = template
        self.folder = Path(where).parent
        """The judge file's folder, where its other templates are."""
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
        """Name, model, prompt hash and settings."""
        return JudgeInfo(
            name=self.name,
            kind="rubric",
            model=self.spec.model,
            prompt_sha256=hashlib.sha256(self.template.encode()).hexdigest(),
            settings={**self.overrides, "retry_invalid": self.spec.retry_invalid},
        )

    def endpoints(self) -> list[Endpoint]:
        """The one endpoint serving the judge model."""
        return [self.endpoint]

    async def grade(self, task: Task, answer: str, *, seed: int | None = None) -> Grading:
        """Ask for a verdict; on an invalid reply ask again with the error, then give up.
        `seed` replaces the judge's seed, for repeated sampling."""
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

        prompt = render(self.template, task, answer)
        asked = await ask_validated(
            ask, prompt, lambda text: parse_verdict(text, task), self.spec.retry_invalid
        )
        if asked.failed is not None:
            failed = asked.failed
            return Grading(raw=asked.raw, error=failed.info, unavailable=failed.unavailable)
        if asked.value is not None:  # earlier invalid replies are not kept once one is valid
            return Grading(verdict=asked.value, judge_answer=asked.reply)
        return Grading(raw=asked.raw, judge_answer=asked.reply, error=asked.invalid("verdict"))


T = TypeVar("T")


class Asked(NamedTuple, Generic[T]):
    """What asking a judge for a structured reply came to."""

    value: T | None
    """The parsed reply; None when the call failed or no reply was valid."""
    reply: Answer | None
    """The last reply received."""
    raw: list[str]
    """Replies that did not validate."""
    error: str
    """The last validation error."""
    failed: CallFailed | None
    """The call failure, when the judge could not be reached."""

    def invalid(self, what: str) -> ErrorInfo:
        """The error of a judge that replied, but never validly."""
        return ErrorInfo(
            kind="InvalidVerdict",
            message=f"no valid {what} after {len(self.raw)} replies: {self.error}",
            role="judge",
            attempts=len(self.raw),
        )


async def ask_validated(
    ask: Callable[[list[dict[str, str]]], Awaitable[Answer]],
    prompt: str,
    parse: Callable[[str], T],
    retries: int,
) -> Asked[T]:
    """Ask, parse, and on an invalid reply ask again `retries` times, showing the judge its
    reply and the validation error. Never turns an invalid reply into a value."""
    messages = [{"role": "user", "content": prompt}]
    raw: list[str] = []
    error, reply = "", None
    for _ in range(retries + 1):
        try:
            reply = await ask(messages)
        except CallFailed as failed:
            return Asked(None, reply, raw, error, failed)
        try:
            return Asked(parse(reply.text), reply, raw, "", None)
        except InvalidVerdict as invalid:
            raw.append(reply.text)
            error = str(invalid)
            messages = [
                *messages[:1],
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": RETRY_PROMPT.format(error=error)},
            ]
    return Asked(None, reply, raw, error, None)


def judge_models_of(info: JudgeInfo) -> list[str]:
    """Every config model a judge calls, a panel's members' included."""
    found = [info.model] if info.model else []
    for member in info.members:
        found.extend(judge_models_of(member))
    return list(dict.fromkeys(found))


def judge_file(name: str, base_dir: Path) -> Path | None:
    """The judge TOML for a name or path, if there is one."""
    for path in (base_dir / "judges" / f"{name}.toml", Path(name)):
        if path.suffix == ".toml" and path.is_file():
            return path
    return None


def load_judge(name: str, pool: Pool, *, within: tuple[Path, ...] = ()) -> Judge:
    """The judge called `name`: a judge file, a path, or an installed plugin. `within`
    holds the panel files being loaded, so a panel that contains itself is an error."""
    base_dir = pool.loaded.base_dir
    path = judge_file(name, base_dir)
    if path is not None:
        if path.resolve() in within:
            raise ConfigError(f"{path}: a panel includes itself (through {name!r})")
        return _judge_from_file(path, pool, (*within, path.resolve()))
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            judge = entry.load()(JudgeContext(pool=pool, name=name))
            if not isinstance(judge, Judge):
                raise ConfigError(f"judge plugin {name!r} ({entry.value}) does not implement Judge")
            return judge
    raise UnknownJudgeError(f"unknown judge {name!r}; known: {', '.join(known_judges(base_dir))}")


def known_judges(base_dir: Path) -> list[str]:
    """Judge names available: judge files and plugins."""
    files = [p.stem for p in sorted((base_dir / "judges").glob("*.toml"))]
    plugins = [e.name for e in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted({*files, *plugins}) or ["none"]


def _judge_from_file(path: Path, pool: Pool, within: tuple[Path, ...]) -> Judge:
    """A rubric judge, a sampled one, or a panel, as the file says."""
    try:
        spec = JudgeFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation(exc)}") from None
    if spec.panel is not None:
        members = [load_judge(member, pool, within=within) for member in spec.panel]
        return PanelJudge(path.stem, members, spec.combine)
    template = load_template(path.parent / spec.template)
    judge = RubricJudge(path.stem, spec, template, pool, str(path))
    return SampledJudge(judge, spec.samples, spec.combine) if spec.samples > 1 else judge


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
