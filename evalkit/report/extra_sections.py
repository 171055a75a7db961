"""The report's sections for repeated samples and for a leaderboard, as plain-text tables
(header, rows) that report.markdown and report.html escape and draw, so both say the same.

Samples: per task each candidate's scores over its samples with their mean, standard
deviation and range; per candidate the mean, pass^k and pass@k at the run's threshold.
Leaderboard: the standings `rank` prints (analysis.rank_runs), for a run, or several runs
given together, of more than two candidates.
"""

from __future__ import annotations

from evalkit.analysis.leaderboard import Leaderboard
from evalkit.analysis.samples import SampleStats, TaskSamples
from evalkit.report.rank_markdown import STANDING_COLUMNS, method_note, win_rate_cell

Table = tuple[list[str], list[list[str]]]


def samples_intro(stats: SampleStats) -> str:
    """What the samples tables show, in one paragraph."""
    return (
        f"Each candidate answered each task {stats.k} times (sample i with the model's seed"
        f" + i). A sample passes at score ≥ {stats.threshold}. pass^{stats.k}: share of tasks"
        f" where all {stats.k} samples passed; pass@{stats.k}: where at least one did. A"
        " sample without a score is left out, never counted as a failure; a task with fewer"
        f" than {stats.k} scored samples is left out of pass^{stats.k} and pass@{stats.k}."
    )


def samples_per_candidate(stats: SampleStats) -> Table:
    """Mean, pass^k, pass@k and tasks counted, per candidate."""
    header = ["Candidate", "Mean", f"pass^{stats.k}", f"pass@{stats.k}", "Tasks", "Left out"]
    rows = [
        [
            line.candidate,
            _number(line.mean, "{:.2f}"),
            _number(line.pass_hat_k, "{:.0%}"),
            _number(line.pass_at_k, "{:.0%}"),
            str(line.tasks),
            str(line.short_tasks),
        ]
        for line in stats.candidates
    ]
    return header, rows


def samples_per_task(stats: SampleStats) -> Table:
    """Scores, mean, sd and range of each task's samples, per candidate."""
    header = ["Task", "Candidate", "Scores", "Mean", "SD", "Range"]
    return header, [[line.task_id, line.candidate, *task_cells(line)] for line in stats.tasks]


def task_cells(line: TaskSamples) -> list[str]:
    """Scores (- for a sample without one), mean, sd and range of one task's samples."""
    scores = " ".join("-" if s is None else str(s) for s in line.scores)
    spread = "n/a" if line.low is None else f"{line.low}-{line.high}"
    return [scores, _number(line.mean, "{:.2f}"), _number(line.sd, "{:.2f}"), spread]


def leaderboard_table(board: Leaderboard) -> Table:
    """The standings, best first, as `rank` gives them."""
    digits = 0 if board.method == "bradley-terry" else 2
    rows = [
        [
            str(line.rank),
            line.candidate,
            f"{line.rating:.{digits}f}",
            f"[{line.ci[0]:.{digits}f}, {line.ci[1]:.{digits}f}]",
            str(line.rank_ub),
            str(line.n),
        ]
        for line in board.standings
    ]
    return list(STANDING_COLUMNS), rows


def win_rates(board: Leaderboard) -> Table | None:
    """The pairwise win-rate matrix (row over column, ties half); None for mean scores."""
    if not board.win_rates:
        return None
    names = [line.candidate for line in board.standings]
    rows = [[a, *(win_rate_cell(board, a, b) for b in names)] for a in names]
    return ["", *names], rows


def leaderboard_note(board: Leaderboard) -> str:
    """How the leaderboard's figures were made."""
    return method_note(board)


def _number(value: float | None, form: str) -> str:
    return "n/a" if value is None else form.format(value)
