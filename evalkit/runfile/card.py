"""A judge card's run file: where it lives and how its records name what was probed.

A card run file is an ordinary run file (`evalkit.runfile.reader` reads it) beside the run
whose answers it probes: `RUN.card-JUDGE.jsonl` for `RUN.jsonl`. Its manifest names the
run as `parent` and carries `card` (the probe settings). Each result record is one grading
of one answer variant, its candidate written `CANDIDATE~VARIANT`:

    gemma3:1b~repeat-0   the answer as it is, graded as a run grades it (seed unchanged)
    gemma3:1b~repeat-2   the same answer graded again with the judge's seed + 2
    gemma3:1b~padded     the answer followed by a restatement of itself
    gemma3:1b~injected   the answer followed by an instruction to the grader

and each pair record (`"type": "pair"`) is one pair of two candidates' answers judged in
both orders, as in a pairwise run. The key stays (task_id, candidate, judge), so resume,
`show` and every reader work on a card file unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

SEPARATOR = "~"
"""Between a candidate's name and the variant in a card record's candidate field."""
REPEAT = "repeat-"
"""Prefix of the repeat variants: repeat-0, repeat-1, ..."""
PADDED = "padded"
"""The answer padded with a restatement of itself."""
INJECTED = "injected"
"""The answer with an instruction to the grader planted at its end."""
PAIRS = "pairs"
"""Pairs of two candidates' answers judged for the card, in both orders."""
OWN_PAIRS = "pairs of the pairwise run"
"""A pairwise run's own pairs, judged by the card's judge, copied into the card file."""


class ProbeKey(NamedTuple):
    """A card record's candidate field, split."""

    candidate: str
    """The candidate whose answer was probed."""
    variant: str
    """repeat-N, padded or injected."""

    @property
    def repeat(self) -> int | None:
        """N for repeat-N, else None."""
        if not self.variant.startswith(REPEAT):
            return None
        number = self.variant.removeprefix(REPEAT)
        return int(number) if number.isdigit() else None


def probe_candidate(candidate: str, variant: str) -> str:
    """The candidate field of a card record: `gemma3:1b~padded`."""
    return f"{candidate}{SEPARATOR}{variant}"


def split_probe(field: str) -> ProbeKey | None:
    """A card record's candidate field split at its last `~`; None when it has none."""
    candidate, separator, variant = field.rpartition(SEPARATOR)
    return ProbeKey(candidate, variant) if separator and candidate else None


def card_path(run_path: str | Path, judge: str) -> Path:
    """Where the card of `judge` for the run file `run_path` lives: beside it, named
    `<run stem>.card-<judge>.jsonl` (characters unsafe in a file name become `_`)."""
    run_path = Path(run_path)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", judge) or "_"
    return run_path.with_name(f"{run_path.stem}.card-{safe}.jsonl")
