"""Style covariates of a pairwise comparison, as Arena-Hard's style control builds them.

Judges reward length and markdown. To rate candidates at equal style, each comparison
carries, per feature, the normalised difference between its two answers,
(a - b) / (a + b + 1), for the answer's length (characters) and its markdown: headers,
list items and bold spans, counted outside fenced code blocks (Arena-Hard strips code
too, so a code answer's comments and `**kwargs` are not "formatting").

Guarantees: a feature's difference is antisymmetric (swapping the answers negates it),
and `normalise` keeps it so (it scales each column by its root mean square and does not
centre it, unlike Arena-Hard's z-score: centring would give the answer shown first a
fixed bonus whenever one order dominates the data). Pure functions of the texts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

FENCED_CODE = re.compile(r"^(`{3,}|~{3,}).*?^\1", re.MULTILINE | re.DOTALL)
HEADER = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)
BOLD = re.compile(r"\*\*(?=\S)[^*\n]+?\*\*|__(?=\S)[^_\n]+?__")


class StyleFeatures(NamedTuple):
    """What a judge may reward besides substance, for one answer."""

    length: int
    """Characters of the whole answer, code included."""
    headers: int
    """Markdown headers (`#` to `######`) outside code blocks."""
    lists: int
    """List items (`-`, `*`, `+`, `1.`, `1)`) outside code blocks."""
    bold: int
    """Bold spans (`**x**`, `__x__`) outside code blocks."""


STYLE_FEATURES: tuple[str, ...] = StyleFeatures._fields
"""The covariate names, in the order of every covariate vector."""


def style_features(text: str) -> StyleFeatures:
    """Length and markdown counts of one answer."""
    prose = FENCED_CODE.sub("", text)
    return StyleFeatures(
        length=len(text),
        headers=len(HEADER.findall(prose)),
        lists=len(LIST_ITEM.findall(prose)),
        bold=len(BOLD.findall(prose)),
    )


def style_difference(a: StyleFeatures, b: StyleFeatures) -> tuple[float, ...]:
    """Per feature, (a - b) / (a + b + 1): in (-1, 1), zero when equal, negated by a swap."""
    return tuple((x - y) / (x + y + 1) for x, y in zip(a, b, strict=True))


def normalise(rows: Sequence[Sequence[float]]) -> list[tuple[float, ...]]:
    """Each column divided by its root mean square over the rows, so coefficients are per
    typical difference; a column that is zero throughout stays zero."""
    if not rows:
        return []
    width = len(rows[0])
    scales = []
    for column in range(width):
        rms = math.sqrt(math.fsum(row[column] ** 2 for row in rows) / len(rows))
        scales.append(1.0 / rms if rms > 0 else 0.0)
    return [tuple(v * s for v, s in zip(row, scales, strict=True)) for row in rows]


def style_covariates(
    pairs: Sequence[tuple[str, str, str]], answers: Mapping[tuple[str, str], str]
) -> list[tuple[float, ...]]:
    """Normalised style differences of each comparison (task_id, a, b), from
    `answers[(task_id, candidate)]`; a missing answer is an error naming it."""
    features: dict[tuple[str, str], StyleFeatures] = {}

    def of(task_id: str, candidate: str, row: int) -> StyleFeatures:
        key = (task_id, candidate)
        if key not in features:
            if key not in answers:
                raise ValueError(
                    f"comparison {row}: no answer of candidate {candidate!r} to task "
                    f"{task_id!r}, needed for style control"
                )
            features[key] = style_features(answers[key])
        return features[key]

    return normalise(
        [style_difference(of(t, a, row), of(t, b, row)) for row, (t, a, b) in enumerate(pairs)]
    )
