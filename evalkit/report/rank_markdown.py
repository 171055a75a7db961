"""`rank --format md` and the report's leaderboard: a Leaderboard as Markdown (the rich
terminal table lives in display.rank; JSON is the model itself). Candidate names are model
text from a config: escaped like any other."""

from __future__ import annotations

from evalkit import md
from evalkit.analysis.leaderboard import Leaderboard, Standing

STANDING_COLUMNS = ("Rank", "Candidate", "Rating", "95% CI", "Rank (UB)", "n")
"""The leaderboard table's columns."""


def render(board: Leaderboard, runs: list[str]) -> str:
    """The whole leaderboard: what was ranked, standings, style effects, win rates."""
    parts = ["# Leaderboard", "\n".join(f"- `{md.inline(path)}`" for path in runs)]
    parts += [standings_table(board), method_note(board)]
    if board.uncontrolled is not None:
        parts += ["## Without style control", standings_table(board, board.uncontrolled)]
    if board.style:
        effects = ", ".join(f"{name} {points:+.1f}" for name, points in board.style.items())
        parts.append(f"Style effects (rating points per typical difference): {effects}.")
    if board.win_rates:
        parts += ["## Win rates (row over column, ties half)", win_rate_table(board)]
    return "\n\n".join(parts)


def standings_table(board: Leaderboard, standings: list[Standing] | None = None) -> str:
    """Rank, candidate, rating with its interval, the rank's upper bound and n."""
    rows = [cells(board, line) for line in standings or board.standings]
    return md.table(STANDING_COLUMNS, rows)


def cells(board: Leaderboard, line: Standing) -> list[str]:
    """One standing as table cells, the name escaped."""
    digits = 0 if board.method == "bradley-terry" else 2
    lo, hi = line.ci
    return [
        str(line.rank),
        md.cell(line.candidate),
        f"{line.rating:.{digits}f}",
        f"[{lo:.{digits}f}, {hi:.{digits}f}]",
        str(line.rank_ub),
        str(line.n),
    ]


def method_note(board: Leaderboard) -> str:
    """How the figures were made, in one paragraph."""
    if board.method == "bradley-terry":
        scale = (
            "Bradley-Terry ratings (Elo scale, 400 points = 10:1 odds; ties count half"
            f"; mean rating 1000{'' if board.anchor == 'mean' else f', {board.anchor} = 1000'})"
        )
        if board.style_control:
            scale += ", fitted at equal answer length and markdown (style control)"
    else:
        scale = "Mean judge score (1-5) of every scored sample"
    return (
        f"{scale}. {board.confidence:.0%} intervals: percentile bootstrap over"
        f" {board.units} {board.unit}s ({board.resamples} resamples, seed {board.seed});"
        " rank (UB) is 1 + the candidates whose whole interval lies above."
    )


def win_rate_table(board: Leaderboard) -> str:
    """win_rates[a][b] as a matrix, with how many comparisons each cell holds."""
    names = [line.candidate for line in board.standings]
    rows = []
    for a in names:
        rows.append([md.cell(a), *(win_rate_cell(board, a, b) for b in names)])
    return md.table(["", *(md.cell(n) for n in names)], rows)


def win_rate_cell(board: Leaderboard, a: str, b: str) -> str:
    """a's win rate over b and how many comparisons it rests on, or a dash."""
    n = board.comparisons.get(a, {}).get(b, 0)
    rate = board.win_rates.get(a, {}).get(b)
    return "—" if a == b or rate is None or not n else f"{rate:.0%} ({n})"
