"""Human labels: an expert's grades of answers in a run, one JSON object per line.

```
{"task_id": "gitea-webhook", "candidate": "gemma3:1b", "score": 2, "label": "BROKEN",
 "criteria": {"hmac": false, "header": false}, "reasoning": "Hashes the signature ..."}
```

Lines are matched to a run's records by (task_id, candidate); the judge does not matter,
so one labels file calibrates every judge that grades the same answers. A bad line stops
the read with the file, the line and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, StrictBool, StrictInt, ValidationError

from evalkit.errors import LabelsError, describe_validation
from evalkit.types import Strict


class Label(Strict):
    """One expert grade of one answer."""

    task_id: str = Field(min_length=1)
    """The task's id in the suite."""
    candidate: str = Field(min_length=1)
    """The candidate whose answer was graded, by its name in the run."""
    score: StrictInt = Field(ge=1, le=5)  # strict: JSON true or 2.0 is a typo, not a score
    """The expert's score, 1..5, on the judge's scale."""
    label: str | None = None
    """The expert's short verdict, e.g. BROKEN."""
    criteria: dict[str, StrictBool] = Field(default_factory=dict)
    """Rubric criterion id -> met, for the criteria the expert checked."""
    reasoning: str | None = None
    """Why the expert gave this score; shown beside the judge's reasoning."""
    grader: str | None = None
    """Who graded (a name or a role), for provenance."""

    @property
    def key(self) -> tuple[str, str]:
        """The (task_id, candidate) an answer in a run is found by."""
        return (self.task_id, self.candidate)


def read_labels(path: str | Path) -> list[Label]:
    """Every label in the file, in order; a bad line, or a second label for the same
    answer, is a LabelsError naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelsError(f"cannot read: {exc.strerror}", path=str(path)) from None
    labels: list[Label] = []
    first_line: dict[tuple[str, str], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label = _parse(line, path, number)
        if label.key in first_line:
            raise LabelsError(
                f"a second label for task {label.task_id!r}, candidate {label.candidate!r}"
                f" (the first is on line {first_line[label.key]})",
                path=str(path),
                line=number,
            )
        first_line[label.key] = number
        labels.append(label)
    if not labels:
        raise LabelsError("no labels in the file", path=str(path))
    return labels


def _parse(line: str, path: Path, number: int) -> Label:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelsError(f"not valid JSON: {exc.msg}", path=str(path), line=number) from None
    if not isinstance(data, dict):
        raise LabelsError("a label must be a JSON object", path=str(path), line=number)
    try:
        return Label.model_validate(data)
    except ValidationError as exc:
        raise LabelsError(
            f"field {describe_validation(exc)}", path=str(path), line=number
        ) from None
