"""Judges: the Judge protocol, the rubric judge defined by a TOML file, and how a judge is
found by name.

A judge named NAME is, in order: `judges/NAME.toml` beside the config, a path to a judge
TOML file, or a plugin registered in the entry-point group `evalkit.judges` (a class whose
constructor takes a JudgeContext and that implements Judge).

A judge loaded from a file records that file (as an absolute path) and a definition hash
over the file's bytes and its template's (a panel's: its file and its members' hashes) in
its JudgeInfo, so a resume loads the very same file (`load_recorded_judge`) and can tell
when it changed; a plugin's definition hash is taken over its own info (`judge_info`).
"""

from __future__ import annotations

import hashlib
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
from evalkit.types import JudgeInfo

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


def load_recorded_judge(info: JudgeInfo, pool: Pool) -> Judge:
    """The judge a run file's manifest names, to resume it: loaded from the file recorded
    in `info` while that file exists, otherwise by name (a file beside the config, or a
    plugin). Comparing the definitions is the caller's (run.prepare.check_resume)."""
    if info.path is not None and Path(info.path).is_file():
        return load_judge(info.path, pool)
    try:
        return load_judge(info.name, pool)
    except UnknownJudgeError:
        if info.path is None:
            raise
        raise ConfigError(
            f"judge {info.name!r} was loaded from {info.path}, which is gone;"
            " name its file with --judge PATH"
        ) from None


def judge_info(judge: Judge) -> JudgeInfo:
    """The judge's definition as a manifest records it: its info, with a definition hash
    over that info when the judge gives none (a plugin's)."""
    info = judge.info()
    if info.definition_sha256 is not None:
        return info
    return info.model_copy(update={"definition_sha256": _sha256(info.model_dump_json())})


def _sha256(*parts: str) -> str:
    """sha256 over parts, each length-prefixed so that no two lists of parts collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(f"{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


def known_judges(base_dir: Path) -> list[str]:
    """Judge names available: judge files and plugins."""
    files = [p.stem for p in sorted((base_dir / "judges").glob("*.toml"))]
    plugins = [e.name for e in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted({*files, *plugins}) or ["none"]


def _judge_from_file(path: Path, pool: Pool, within: tuple[Path, ...]) -> Judge:
    """A rubric judge, a sampled one, or a panel, as the file says."""
    text = path.read_text(encoding="utf-8")
    try:
        spec = JudgeFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation(exc)}") from None
    if spec.panel is not None:
        members = [load_judge(member, pool, within=within) for member in spec.panel]
        hashes = [judge_info(member).definition_sha256 or "" for member in members]
        return PanelJudge(
            path.stem,
            members,
            spec.combine,
            path=str(path.resolve()),
            definition_sha256=_sha256(text, *hashes),
        )
    template = load_template(path.parent / spec.template)
    definition = _sha256(text, template)
    judge = RubricJudge(path.stem, spec, template, pool, str(path), definition)
    return SampledJudge(judge, spec.samples, spec.combine) if spec.samples > 1 else judge
