"""Judges: the Judge protocol, the rubric judge defined by a TOML file, and how a judge is
found by name.

A judge named NAME is, in order: `judges/NAME.toml` beside the config, a path to a judge
TOML file, or a plugin registered in the entry-point group `evalkit.judges` (a class whose
constructor takes a JudgeContext and that implements Judge).
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalkit.config import describe_validation
from evalkit.endpoints import CallFailed, Endpoint, Pool
from evalkit.errors import ConfigError, UnknownJudgeError
from evalkit.judge_prompt import InvalidVerdict, load_template, parse_verdict, render
from evalkit.judge_prompt import verdict_schema as schema_for
from evalkit.types import ErrorInfo, Grading, JudgeInfo, Strict, Task

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


class JudgeContext(BaseModel):
    """What a judge plugin is constructed with."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pool: Pool
    """The run's endpoints; `pool.model(name, where)` gives a model and its endpoint."""
    name: str
    """The name the judge was asked for by."""


class JudgeFile(Strict):
    """A judges/<name>.toml file."""

    model: str
    """The model that judges, by its name in the config's [models]."""
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


class RubricJudge:
    """An LLM judge that grades against the task's reference and rubric, with the verdict
    schema as structured output."""

    def __init__(self, name: str, spec: JudgeFile, template: str, pool: Pool, where: str):
        self.name = name
        self.spec = spec
        self.template = template
        self.endpoint, self.model = pool.model(spec.model, f"{where}: model")
        self._overrides = {
            k: v
            for k, v in {
                "temperature": spec.temperature,
                "max_tokens": spec.max_tokens,
                "seed": spec.seed,
            }.items()
            if v is not None
        }

    def info(self) -> JudgeInfo:
        """Name, model, prompt hash and settings."""
        return JudgeInfo(
            name=self.name,
            kind="rubric",
            model=self.spec.model,
            prompt_sha256=hashlib.sha256(self.template.encode()).hexdigest(),
            settings={**self._overrides, "retry_invalid": self.spec.retry_invalid},
        )

    def endpoints(self) -> list[Endpoint]:
        """The one endpoint serving the judge model."""
        return [self.endpoint]

    async def grade(self, task: Task, answer: str) -> Grading:
        """Ask for a verdict; on an invalid reply ask again with the error, then give up."""
        messages = [{"role": "user", "content": render(self.template, task, answer)}]
        schema = schema_for(task)
        raw: list[str] = []
        for _ in range(self.spec.retry_invalid + 1):
            try:
                reply = await self.endpoint.complete(
                    self.spec.model,
                    self.model,
                    messages,
                    schema=schema,
                    role="judge",
                    overrides=self._overrides,
                )
            except CallFailed as failed:
                return Grading(raw=raw, error=failed.info, unavailable=failed.unavailable)
            try:
                verdict = parse_verdict(reply.text, task)
            except InvalidVerdict as invalid:
                raw.append(reply.text)
                error = str(invalid)
                messages = [
                    *messages[:1],
                    {"role": "assistant", "content": reply.text},
                    {"role": "user", "content": RETRY_PROMPT.format(error=error)},
                ]
                continue
            return Grading(verdict=verdict, judge_answer=reply)
        return Grading(
            raw=raw,
            judge_answer=reply,
            error=ErrorInfo(
                kind="InvalidVerdict",
                message=f"no valid verdict after {len(raw)} replies: {error}",
                role="judge",
                attempts=len(raw),
            ),
        )


def judge_file(name: str, base_dir: Path) -> Path | None:
    """The judge TOML for a name or path, if there is one."""
    for path in (base_dir / "judges" / f"{name}.toml", Path(name)):
        if path.suffix == ".toml" and path.is_file():
            return path
    return None


def load_judge(name: str, pool: Pool) -> Judge:
    """The judge called `name`: a judge file, a path, or an installed plugin."""
    base_dir = pool.loaded.base_dir
    path = judge_file(name, base_dir)
    if path is not None:
        return _rubric_judge(path, pool)
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


def _rubric_judge(path: Path, pool: Pool) -> RubricJudge:
    try:
        spec = JudgeFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation(exc)}") from None
    template = load_template(path.parent / spec.template)
    return RubricJudge(path.stem, spec, template, pool, str(path))
