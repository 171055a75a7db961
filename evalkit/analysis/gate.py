"""`compare --fail-on-regression`: what fails the gate, and what it only warns about.

The gate fails on a candidate whose mean score dropped by more than the allowed DELTA, on
rows graded ok in A that B could not grade, and (unless --allow-missing) on rows B has no
record of: it never passes on missing grades. It keeps that meaning whatever the suite's
size, and says beside a drop when the drop is smaller than the suite's minimum detectable
difference (`CandidateComparison.mde`), so a failure on noise reads as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.analysis.compare_units import undetectable

if TYPE_CHECKING:
    from evalkit.analysis.comparison import Comparison


def regressions(
    comparison: Comparison, max_drop: float = 0.0, allow_missing: bool = False
) -> list[str]:
    """What fails `--fail-on-regression`, one line each: a candidate whose mean score
    dropped by more than `max_drop` points from A to B, that failed in B on rows it was
    graded ok on in A, or (unless `allow_missing`) that B holds no record for on such
    rows: a gate must not pass because B could not grade them or never ran them (a run
    that crashed after its manifest holds no records at all)."""
    found = []
    for c in comparison.candidates:
        if c.mean_delta is not None and -c.mean_delta > max_drop:
            noise = undetectable(-c.mean_delta, c.mde)
            found.append(
                f"{c.candidate}: mean {c.mean_a:.2f} -> {c.mean_b:.2f} ({c.mean_delta:+.3f},"
                f" allowed drop {max_drop:g})" + (f"; the drop is {noise}" if noise else "")
            )
        if c.failed:
            found.append(
                f"{c.candidate}: {c.failed} row(s) graded ok in A are not ok in B"
                " (error, endpoint down or judge failure): no score can vouch for them"
            )
        if c.lost > c.failed and not allow_missing:
            found.append(
                f"{c.candidate}: {c.lost - c.failed} row(s) graded ok in A are missing from B"
                " (B has no record: it stopped early or ran fewer tasks): no score can vouch"
                " for them; --allow-missing gates on the rows in both only"
            )
    return found


def gate_warnings(comparison: Comparison, allow_missing: bool, max_drop: float) -> list[str]:
    """What `--fail-on-regression` reports without failing: with `allow_missing`, rows
    graded ok in A that B does not hold at all (B ran fewer tasks or candidates); and a
    drop that passes the gate while it is smaller than the suite can detect, or an allowed
    drop the suite could not tell from noise anyway."""
    found = [
        f"{c.candidate}: {c.lost - c.failed} row(s) graded ok in A are absent from B;"
        " the gate covers only the rows in both (--allow-missing)"
        for c in comparison.candidates
        if c.lost > c.failed and allow_missing
    ]
    for c in comparison.candidates:
        if c.mean_delta is None or c.mde is None:
            continue
        drop = -c.mean_delta
        if 0 < drop <= max_drop and undetectable(drop, c.mde):
            found.append(f"{c.candidate}: a drop of {drop:.3f} is {undetectable(drop, c.mde)}")
        elif max_drop > 0 and undetectable(max_drop, c.mde):
            found.append(
                f"{c.candidate}: the allowed drop {max_drop:g} is {undetectable(max_drop, c.mde)}"
            )
    return found
