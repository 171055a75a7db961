"""Judges: the Judge protocol, the rubric judge defined by a TOML file, and how a judge is
found by name.

A judge named NAME is, in order: `judges/NAME.toml` beside the config, a path to a judge
TOML file, or a plugin registered in the entry-point group `evalkit.judges` (a class whose
constructor takes a JudgeContext and that implements Judge).
"""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import ValidationError

from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError, UnknownJudgeError, describe_validation
from evalkit.judges.panel import PanelJudge, SampledJudge
from evalkit.judges.prompt import load_template
from evalkit.judges.protocol import Judge, JudgeContext
from evalkit.judges.rubric import JudgeFile, RubricJudge

ENTRY_POINT_GROUP = "evalkit.judges"


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
