"""`ManifestHead`, the manifest as the readers see it without pydantic, against RunManifest,
its specification: the same fields with the same defaults, the same values read, and a bad
value of a field it reads is the error RunManifest gives."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import msgspec
import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_jsonable_python
from runfiles import manifest

from evalkit.errors import RunFileError
from evalkit.runfile import heads
from evalkit.runfile.report_lines import read_report_run
from evalkit.types import (
    CardSettings,
    EndpointHealth,
    JudgeInfo,
    ModelFamilies,
    ModelInfo,
    PairwiseInfo,
    RunManifest,
    ShardInfo,
    SuiteInfo,
)

TWINS: dict[type[msgspec.Struct], type[BaseModel]] = {
    heads.ManifestHead: RunManifest,
    heads.SuiteHead: SuiteInfo,
    heads.ModelHead: ModelInfo,
    heads.JudgeHead: JudgeInfo,
    heads.ShardHead: ShardInfo,
    heads.PairwiseHead: PairwiseInfo,
    heads.HealthHead: EndpointHealth,
    heads.FamiliesHead: ModelFamilies,
    heads.CardHead: CardSettings,
}
"""Each struct of a head, and the model of RunManifest's it mirrors."""


def _nested(struct: type[msgspec.Struct]) -> set[type[msgspec.Struct]]:
    """The structs a struct's fields hold, however deep."""
    found: set[type[msgspec.Struct]] = set()
    for field in msgspec.structs.fields(struct):
        stack = [field.type]
        while stack:
            kind = stack.pop()
            if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
                if kind not in found and kind is not struct:
                    found |= {kind, *_nested(kind)}
            else:
                stack.extend(typing.get_args(kind))
    return found


def test_every_struct_of_the_head_has_its_model() -> None:
    assert _nested(heads.ManifestHead) <= set(TWINS)


@pytest.mark.parametrize("struct", list(TWINS), ids=lambda s: s.__name__)
def test_the_heads_fields_are_the_models_with_the_same_defaults(
    struct: type[msgspec.Struct],
) -> None:
    """A field the head declares has the model's name and default (required where the model
    requires it): the two cannot drift apart unnoticed."""
    model = TWINS[struct].model_fields
    for field in msgspec.structs.fields(struct):
        assert field.name in model, f"{struct.__name__}.{field.name}: not in the model"
        spec = model[field.name]
        where = f"{struct.__name__}.{field.name}"
        assert field.required == spec.is_required(), where
        if field.default_factory is not msgspec.NODEFAULT:
            factory = spec.default_factory
            assert factory is not None, where
            if field.name == "started_at":
                assert factory is field.default_factory, where  # both the clock, utc_now
            else:
                assert factory() == field.default_factory(), where
        elif not field.required:
            assert spec.default is not PydanticUndefined or spec.default_factory, where
            default = spec.default if spec.default_factory is None else spec.default_factory()
            assert default == field.default, where


def test_the_head_reads_the_values_the_manifest_holds(tmp_path: Path) -> None:
    full = manifest().model_copy(
        update={
            "families": ModelFamilies(families={"gemma3:27b": "gemma3"}, shared={"a": "b"}),
            "card": CardSettings(samples=2, probes=["repeat"]),
            "samples": 3,
        }
    )
    path = tmp_path / "run.jsonl"
    path.write_text(full.model_dump_json() + "\n", encoding="utf-8")
    head = heads.read_head(path.read_bytes(), path)
    assert full.health, "the manifest probes an endpoint"
    for field in msgspec.structs.fields(heads.ManifestHead):
        value = msgspec.to_builtins(getattr(head, field.name))
        assert value == to_jsonable_python(getattr(full, field.name)), field.name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("evalkit_version", 1),
        ("health", [{"endpoint": "local", "kind": "ollama", "url": "u", "reachable": "maybe"}]),
        ("families", {"shared": {}}),
        ("card", {"samples": "x", "probes": []}),
    ],
)
def test_a_bad_value_of_a_field_the_report_reads_is_named(
    tmp_path: Path, field: str, value: object
) -> None:
    data = manifest().model_dump(mode="json")
    data[field] = value
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    with pytest.raises(RunFileError) as caught:
        read_report_run(path)
    assert str(path) in str(caught.value) and "line 1" in str(caught.value)
    assert field in str(caught.value)
