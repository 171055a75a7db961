"""What differs between two run files' manifests, in words a person acts on: the models that
changed between two runs (`compare` says so before any score; a resume warns), the judge's
definition (a resume, a card rebuilt from its gradings: the same file in another checkout
is the same judge), and what keeps two files from being parts of one run (`merge` refuses
them).

A model's identity (evalkit.endpoints.identity) is compared only when both manifests hold
one of the same kind: a file written before identities were recorded, or whose server was
down when probed, cannot tell a changed model from an unknown one, and says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from evalkit.keys import IdentitySource

if TYPE_CHECKING:
    from evalkit.runfile.heads import ManifestHead, ModelHead
    from evalkit.types import JudgeInfo, ModelInfo, RunManifest

Role = Literal["candidate", "judge"]
SOURCE_WORDS: dict[str, str] = {"digest": "digest", "file_sha256": "file sha256", "model": "model"}
SHORT = 12
"""Hex characters shown of a digest or hash: enough to tell two apart at a glance."""
SETTINGS = ("endpoint", "kind", "litellm_model", "params")
"""ModelInfo fields that say how a model was asked: two parts of one run must agree on
them (the URL may differ: each machine has its own pods)."""


@dataclass
class ModelChange:
    """A model whose identity or server differs between two runs (a dataclass: `compare`
    builds it without pydantic)."""

    role: Role
    """candidate, or judge (a model the judge, or a panel member, calls)."""
    model: str
    """The model's name in the config."""
    what: Literal["identity", "server_version"]
    """identity: other weights (or another model string); server_version: another server."""
    before: str
    """In the first run (A)."""
    after: str
    """In the second run (B)."""
    message: str
    """The change in one line, e.g. `judge changed: gemma3:27b digest a1b2… → c3d4…`."""
    source: IdentitySource | None = None
    """For an identity change: what identifies the model (digest, file_sha256, model)."""


def short(value: str) -> str:
    """A digest or hash cut to its first SHORT characters (`a1b2c3d4e5f6…`); anything
    else (a model string, a version) whole."""
    parts = value.split(",")
    if all(len(p) > SHORT + 4 and all(c in "0123456789abcdef:" for c in p) for p in parts):
        return ",".join(p.removeprefix("sha256:")[:SHORT] + "…" for p in parts)
    return value


def model_changes(
    a: RunManifest | ManifestHead, b: RunManifest | ManifestHead
) -> list[ModelChange]:
    """The judge's models, then the candidates, whose identity or server version differs
    from A to B; models in one manifest only are not compared."""
    judged = [n for n in a.judge.model_names() if n in b.judge.model_names()]
    candidates = [n for n in a.candidates if n in b.candidates]
    found: list[ModelChange] = []
    for role, names in (("judge", judged), ("candidate", candidates)):
        for name in names:
            before, after = a.models.get(name), b.models.get(name)
            if before is not None and after is not None:
                found.extend(_changes(role, name, before, after))  # type: ignore[arg-type]
    return found


def _changes(
    role: Role, name: str, before: ModelInfo | ModelHead, after: ModelInfo | ModelHead
) -> list[ModelChange]:
    found = []
    source = before.identity_source
    if (
        before.identity
        and after.identity
        and source is not None
        and source == after.identity_source
        and before.identity != after.identity
    ):
        change = f"{SOURCE_WORDS[source]} {short(before.identity)} → {short(after.identity)}"
        message = (
            f"judge changed: {name} {change}"
            if role == "judge"
            else f"candidate {name} changed: {change}"
        )
        found.append(
            ModelChange(
                role=role,
                model=name,
                what="identity",
                source=source,
                before=before.identity,
                after=after.identity,
                message=message,
            )
        )
    old, new = before.server_version, after.server_version
    if old and new and old != new:
        message = f"{role} {name}: server version {old} → {new}"
        found.append(
            ModelChange(
                role=role, model=name, what="server_version", before=old, after=new, message=message
            )
        )
    return found


def merge_differences(a: RunManifest, b: RunManifest) -> list[str]:
    """What keeps B from being another part of A's run, one line each: the suite's tasks,
    the profile, --limit, the judge's definition, a pairwise comparison, a re-grade's
    parent, and the settings or identity of a model both use. Empty when they agree.
    (Another suite altogether is the caller's to refuse.)"""
    found = []
    if a.suite.fingerprint != b.suite.fingerprint:
        found.append(
            f"suite fingerprint {short(a.suite.fingerprint)} vs {short(b.suite.fingerprint)}"
            " (the suite's tasks changed between the runs)"
        )
    for what, x, y in (
        ("profile", a.profile, b.profile),
        ("--limit", a.limit, b.limit),
        ("re-grade of", a.parent, b.parent),
    ):
        if x != y:
            found.append(f"{what} {x!r} vs {y!r}")
    judge = _judge_difference(a.judge, b.judge)
    if judge:
        found.append(judge)
    if a.pairwise != b.pairwise:
        found.append("the pairwise comparison (its candidates, baseline or prompt) differs")
    for name in a.models:
        if name in b.models:
            found.extend(_model_differences(name, a.models[name], b.models[name]))
    return found


def _judge_difference(a: JudgeInfo, b: JudgeInfo) -> str | None:
    """How B's judge differs from A's, or None. Where each was loaded from is not compared
    (each machine has its own checkout); the hash of its definition is, where both hold one."""
    if a.name != b.name:
        return f"judge {a.name!r} vs {b.name!r}"
    fields = ("kind", "model", "prompt_sha256", "settings", "members", "definition_sha256")
    here, there = _placeless(a), _placeless(b)
    differ = [f for f in fields if getattr(here, f) != getattr(there, f)]
    if "definition_sha256" in differ and None in (a.definition_sha256, b.definition_sha256):
        differ.remove("definition_sha256")  # one file was written before it was recorded
    if not differ:
        return None
    if differ == ["definition_sha256"]:
        before, after = short(a.definition_sha256 or ""), short(b.definition_sha256 or "")
        return f"judge {a.name!r} definition: its file changed (sha256 {before} vs {after})"
    return f"judge {a.name!r} definition: its {', '.join(differ)} differ"


def _placeless(info: JudgeInfo) -> JudgeInfo:
    """A judge's definition without the paths its files were loaded from (a panel's
    members' too)."""
    members = [_placeless(member) for member in info.members]
    return info.model_copy(update={"path": None, "members": members})


def _model_differences(name: str, a: ModelInfo, b: ModelInfo) -> list[str]:
    found = []
    for field in SETTINGS:
        x, y = getattr(a, field), getattr(b, field)
        if field == "params" and x != y:
            keys = sorted(set(x) | set(y))
            changed = [f"{k} {x.get(k)} vs {y.get(k)}" for k in keys if x.get(k) != y.get(k)]
            found.append(f"model {name!r} settings: {', '.join(changed)}")
        elif x != y:
            found.append(f"model {name!r} {field} {x!r} vs {y!r}")
    source = a.identity_source
    if source and source == b.identity_source and a.identity != b.identity:
        found.append(
            f"model {name!r} {SOURCE_WORDS[source]} {short(a.identity or '')}"
            f" vs {short(b.identity or '')} (another model under the same name)"
        )
    return found


def judge_changes(old: JudgeInfo, new: JudgeInfo) -> list[str]:
    """What differs between the judge a run was graded with and the one loaded now; empty
    when it is the same judge. A run file from before definitions were hashed is compared
    on what it recorded (name, model, prompt hash, settings)."""
    if old.definition_sha256 is None:
        if _bare(old) == _bare(new):
            return []
    elif (old.name, old.definition_sha256) == (new.name, new.definition_sha256):
        return []
    changes = [
        f"{what} {getattr(old, what)!r} -> {getattr(new, what)!r}"
        for what in ("name", "kind", "model")
        if getattr(old, what) != getattr(new, what)
    ]
    if old.prompt_sha256 != new.prompt_sha256:
        changes.append("its prompt template changed")
    for key in dict.fromkeys([*old.settings, *new.settings]):
        if old.settings.get(key) != new.settings.get(key):
            changes.append(f"{key} {old.settings.get(key)!r} -> {new.settings.get(key)!r}")
    if [_bare(m) for m in old.members] != [_bare(m) for m in new.members]:
        changes.append("its panel members changed")
    if not changes:
        what = "its file or a member's" if new.members else "its file"
        before, after = (info.definition_sha256 or "?" for info in (old, new))
        changes.append(f"{what} changed (definition sha256 {before:.12} -> {after:.12})")
    if old.path is not None and new.path is not None and old.path != new.path:
        changes.append(f"loaded from {new.path}, not {old.path}")
    return changes


def _bare(info: JudgeInfo) -> JudgeInfo:
    """A judge's definition without where it was loaded from and its hash."""
    members = [_bare(member) for member in info.members]
    return info.model_copy(update={"path": None, "definition_sha256": None, "members": members})
